package dev.quiver.server;

import dev.quiver.server.auth.AuthInterceptor;
import dev.quiver.server.auth.Authenticator;
import dev.quiver.server.auth.Authenticators;
import dev.quiver.server.catalog.Catalog;
import dev.quiver.server.catalog.DataRoot;
import dev.quiver.server.config.ServerConfig;
import dev.quiver.server.config.TlsContexts;
import dev.quiver.server.flight.FlightServiceDefinition;
import dev.quiver.server.telemetry.Telemetry;
import dev.quiver.server.upload.DatasetStore;
import dev.quiver.server.upload.UploadStaging;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.arrow.flight.impl.FlightServiceGrpc;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Quiver server: a gRPC server bound to one address, serving the Flight service (behind
 * telemetry, authentication and concurrency limits) and the gRPC health service over the catalog of
 * one data root. It owns, and closes in reverse order of creation, the Arrow allocator, the
 * catalog (and so the catalog's references to mapped files), the timer, the telemetry and the gRPC
 * server.
 */
public final class QuiverServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(QuiverServer.class);

  private final ServerConfig config;
  private final BufferAllocator allocator;
  private final Catalog catalog;
  private final ScheduledExecutorService timer;
  private final Telemetry telemetry;
  private final HealthStatusManager health;
  private final Server grpc;
  private final DrainGate gate;
  private final ExecutorService callExecutor;
  private final AtomicBoolean closing = new AtomicBoolean();
  private final CountDownLatch closed = new CountDownLatch(1);

  private QuiverServer(ServerConfig config, BufferAllocator allocator, Catalog catalog, ScheduledExecutorService timer,
      Telemetry telemetry, HealthStatusManager health, Server grpc, DrainGate gate, ExecutorService callExecutor) {
    this.config = config;
    this.allocator = allocator;
    this.catalog = catalog;
    this.timer = timer;
    this.telemetry = telemetry;
    this.health = health;
    this.grpc = grpc;
    this.gate = gate;
    this.callExecutor = callExecutor;
  }

  /**
   * Starts serving {@code config.dataDir()}; the directory must exist.
   *
   * @throws IllegalArgumentException if a TLS or auth file is missing or invalid, naming it
   */
  public static QuiverServer start(ServerConfig config) throws IOException {
    BufferAllocator allocator = new RootAllocator(config.allocatorLimit());
    Catalog catalog = null;
    ScheduledExecutorService timer = null;
    Telemetry telemetry = null;
    // The server's own call executor (gRPC's default is shared and never drained): close() waits for
    // it, so the cancellation callbacks of cut calls (an upload deleting its staged files) have run
    // before the allocator is closed and the process exits.
    ExecutorService callExecutor = Executors.newCachedThreadPool(new ThreadFactory() {
      private final AtomicInteger count = new AtomicInteger();

      @Override
      public Thread newThread(Runnable runnable) {
        Thread thread = new Thread(runnable, "quiver-call-" + count.getAndIncrement());
        thread.setDaemon(true);
        return thread;
      }
    });
    try {
      Authenticator authenticator = Authenticators.fromConfig(config.operations());
      DataRoot root = DataRoot.open(config.dataDir());
      catalog = new Catalog(root);
      DatasetStore store = new DatasetStore(root, catalog, UploadStaging.open(root.path()));
      timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "quiver-timer");
        thread.setDaemon(true);
        return thread;
      });
      telemetry = Telemetry.start(config, catalog);
      HealthStatusManager health = new HealthStatusManager();
      health.setStatus("", HealthCheckResponse.ServingStatus.NOT_SERVING);
      DrainGate gate = new DrainGate();
      ServerServiceDefinition flight = ServerInterceptors.intercept(
          FlightServiceDefinition.create(catalog, store, allocator,
              new FlightServiceDefinition.Options(config.endpointTargetBytes(), config.onReadyThreshold(),
                  config.uploadLimits(), config.limits(), config.tls().enabled()), timer),
          // The last interceptor runs first: telemetry sees every call, even refused ones.
          new AuthInterceptor(authenticator), gate, telemetry.interceptor());
      NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(config.host(), config.port()))
          // Netty's default write-buffer marks (32/64 KiB) make HTTP/2 stop writing to the socket after
          // every 64 KiB and wait for it to drain: many small writev calls and writability events. The
          // queued bytes are mapped file pages, not copies, so a few MiB cost no memory; measured, this
          // cut server CPU per GB served by about a quarter (docs/performance.md).
          .withChildOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
              new WriteBufferWaterMark(config.writeBufferBytes() / 2, config.writeBufferBytes()))
          .executor(callExecutor)
          .addService(flight)
          .addService(health.getHealthService())
          .maxInboundMessageSize(config.limits().maxMessageBytes());
      if (config.tls().enabled()) {
        builder.sslContext(TlsContexts.server(config.tls()));
      }
      Server grpc = builder.build().start();
      health.setStatus("", HealthCheckResponse.ServingStatus.SERVING);
      health.setStatus(FlightServiceGrpc.SERVICE_NAME, HealthCheckResponse.ServingStatus.SERVING);
      if (authenticator == null && !isLoopback(config.host())) {
        log.warn("authentication is off and the server listens on {}: anyone who can reach it may read, write and"
            + " delete every dataset; give --auth-file to require credentials", config.host());
      }
      return new QuiverServer(config, allocator, catalog, timer, telemetry, health, grpc, gate, callExecutor);
    } catch (IOException | RuntimeException | Error e) {
      if (telemetry != null) {
        telemetry.close();
      }
      if (timer != null) {
        timer.shutdownNow();
      }
      callExecutor.shutdownNow();
      if (catalog != null) {
        catalog.close();
      }
      allocator.close();
      throw e;
    }
  }

  private static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (IOException e) {
      return false;
    }
  }

  public int port() {
    return ((InetSocketAddress) grpc.getListenSockets().get(0)).getPort();
  }

  public String host() {
    return config.host();
  }

  /** The Flight location clients connect to, e.g. {@code grpc+tcp://127.0.0.1:8815}. */
  public String location() {
    String host = config.host().contains(":") ? "[" + config.host() + "]" : config.host();
    return (config.tls().enabled() ? "grpc+tls://" : "grpc+tcp://") + host + ":" + port();
  }

  public Catalog catalog() {
    return catalog;
  }

  public BufferAllocator allocator() {
    return allocator;
  }

  public Telemetry telemetry() {
    return telemetry;
  }

  /** Blocks until {@link #close()} has finished, from whatever thread it ran. */
  public void awaitClosed() throws InterruptedException {
    closed.await();
  }

  /**
   * Shuts down gracefully: health turns NOT_SERVING, new calls are refused, running calls get the
   * drain period to finish, then whatever still runs is cancelled (an upload cut off this way
   * stores nothing) and everything is released. Safe to call more than once and from any thread;
   * later calls wait for the first to finish.
   */
  @Override
  public void close() throws InterruptedException {
    if (!closing.compareAndSet(false, true)) {
      closed.await();
      return;
    }
    try {
      // The port stays open while draining, so health probes get an answer (NOT_SERVING) rather
      // than a refused connection; new Flight calls are refused with UNAVAILABLE by the gate.
      health.enterTerminalState();
      long drainMillis = config.operations().drainPeriod().toMillis();
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(drainMillis);
      if (!gate.drain(drainMillis)) {
        log.warn("calls still running after the {} ms drain period are being cancelled", drainMillis);
      }
      grpc.shutdown();
      // Only health calls can be left, and a Watch never ends by itself: connections get at most a
      // second (within the drain period) to close gracefully before they are cut.
      long remaining = Math.min(Math.max(0, deadline - System.nanoTime()), TimeUnit.SECONDS.toNanos(1));
      if (!grpc.awaitTermination(remaining, TimeUnit.NANOSECONDS)) {
        grpc.shutdownNow();
        grpc.awaitTermination(5, TimeUnit.SECONDS);
      }
      callExecutor.shutdown();
      if (!callExecutor.awaitTermination(5, TimeUnit.SECONDS)) {
        log.warn("call callbacks still running 5 s after the server stopped");
      }
    } finally {
      try {
        timer.shutdownNow();
        telemetry.close();
        catalog.close();
        allocator.close();
      } finally {
        // Whatever the release threw, awaitClosed() (and so Main) must not wait forever.
        closed.countDown();
      }
    }
  }

  /**
   * Once {@link #drain} is called, refuses new Flight calls with UNAVAILABLE; counts the running
   * ones so that the drain ends as soon as they have finished.
   */
  static final class DrainGate implements ServerInterceptor {
    private final Object lock = new Object();
    private int running;
    private boolean draining;

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
        ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
      synchronized (lock) {
        if (draining) {
          call.close(Status.UNAVAILABLE.withDescription("the server is shutting down; retry on another instance"
              + " or once it is back"), new Metadata());
          return new ServerCall.Listener<>() { };
        }
        running++;
      }
      AtomicBoolean finished = new AtomicBoolean();
      Runnable finish = () -> {
        if (finished.compareAndSet(false, true)) {
          synchronized (lock) {
            running--;
            lock.notifyAll();
          }
        }
      };
      ServerCall.Listener<Q> listener;
      try {
        listener = next.startCall(call, headers);
      } catch (RuntimeException | Error e) {
        finish.run();
        throw e;
      }
      return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
        @Override
        public void onComplete() {
          try {
            super.onComplete();
          } finally {
            finish.run();
          }
        }

        @Override
        public void onCancel() {
          try {
            super.onCancel();
          } finally {
            finish.run();
          }
        }
      };
    }

    /** Refuses new calls from now on; waits up to {@code millis} for the running ones to finish. */
    boolean drain(long millis) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
      synchronized (lock) {
        draining = true;
        while (running > 0) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            return false;
          }
          TimeUnit.NANOSECONDS.timedWait(lock, left);
        }
        return true;
      }
    }
  }
}
