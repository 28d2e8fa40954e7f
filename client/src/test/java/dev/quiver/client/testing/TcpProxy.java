package dev.quiver.client.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on a loopback port in front of a server port: one pair of threads per connection
 * copying bytes each way. It counts the bytes it forwards to the client and can sever every current
 * connection (with a reset) on demand or once a number of bytes has gone to the client, to break a
 * transfer mid-stream.
 */
public final class TcpProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final int targetPort;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final AtomicLong bytesToClient = new AtomicLong();
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicInteger severings = new AtomicInteger();
  private final AtomicBoolean armed = new AtomicBoolean();
  private volatile long severAt = Long.MAX_VALUE;

  private TcpProxy(ServerSocket listener, int targetPort) {
    this.listener = listener;
    this.targetPort = targetPort;
  }

  public static TcpProxy start(int targetPort) throws IOException {
    ServerSocket listener = new ServerSocket();
    listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    TcpProxy proxy = new TcpProxy(listener, targetPort);
    daemon("proxy-accept", proxy::acceptLoop).start();
    return proxy;
  }

  public String uri() {
    return "grpc://127.0.0.1:" + listener.getLocalPort();
  }

  /** Bytes forwarded from the server to clients so far, over every connection. */
  public long bytesToClient() {
    return bytesToClient.get();
  }

  /** Connections accepted so far. */
  public int connections() {
    return connections.get();
  }

  /** How many times the connections were severed. */
  public int severings() {
    return severings.get();
  }

  /** Severs every current connection once {@code bytes} in total have been forwarded to clients (once). */
  public void severAfter(long bytes) {
    severAt = bytes;
    armed.set(true);
  }

  /** Resets every current connection now. */
  public void severAll() {
    severings.incrementAndGet();
    for (Socket socket : sockets) {
      reset(socket);
    }
  }

  private void acceptLoop() {
    while (!listener.isClosed()) {
      try {
        Socket client = listener.accept();
        Socket server;
        try {
          server = new Socket(InetAddress.getLoopbackAddress(), targetPort);
        } catch (IOException e) {
          reset(client);
          continue;
        }
        connections.incrementAndGet();
        sockets.add(client);
        sockets.add(server);
        daemon("proxy-up", () -> pump(client, server, false)).start();
        daemon("proxy-down", () -> pump(server, client, true)).start();
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void pump(Socket from, Socket to, boolean toClient) {
    byte[] buffer = new byte[16 * 1024];
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      int n;
      while ((n = in.read(buffer)) >= 0) {
        out.write(buffer, 0, n);
        if (toClient) {
          long total = bytesToClient.addAndGet(n);
          if (total >= severAt && armed.compareAndSet(true, false)) {
            severAll();
            return;
          }
        }
      }
    } catch (IOException e) {
      // the other side or severAll() closed the connection
    } finally {
      reset(from);
      reset(to);
    }
  }

  private void reset(Socket socket) {
    sockets.remove(socket);
    try {
      if (!socket.isClosed()) {
        socket.setSoLinger(true, 0); // RST, not FIN: the connection breaks, it does not end
      }
      socket.close();
    } catch (IOException e) {
      // already closed
    }
  }

  private static Thread daemon(String name, Runnable body) {
    Thread thread = new Thread(body, name);
    thread.setDaemon(true);
    return thread;
  }

  @Override
  public void close() throws IOException {
    listener.close();
    for (Socket socket : sockets) {
      reset(socket);
    }
  }
}
