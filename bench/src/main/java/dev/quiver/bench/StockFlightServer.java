package dev.quiver.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.CountDownLatch;
import org.apache.arrow.flight.FlightServer;
import org.apache.arrow.flight.Location;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * The benchmark's "stock arrow-java" baseline: a Flight server written the way arrow-java's
 * documentation suggests, reading each record batch of an Arrow IPC file with
 * {@code ArrowFileReader} into Arrow buffers and sending it with
 * {@code ServerStreamListener.putNext()} (zero-copy writes on, callback back-pressure).
 *
 * <pre>
 * java -jar bench/target/quiver-bench.jar --data FILE-or-DIR [--host H] [--port N] [--port-file F]
 *                                         [--endpoint-size BYTES]
 * </pre>
 *
 * <p>It understands the same tickets as Quiver (a bare dataset name, or JSON with {@code dataset},
 * optional {@code columns} and {@code batches}) so the harness drives it with the same client code.
 */
public final class StockFlightServer {
  private StockFlightServer() {}

  public static void main(String[] args) throws Exception {
    // Netty only uses sun.misc.Unsafe on JDK 24+ when asked to, and arrow-memory-netty needs it;
    // must be set before any Netty class initializes.
    setIfAbsent("io.netty.noUnsafe", "false");
    setIfAbsent("io.netty.tryReflectionSetAccessible", "true");

    Arguments arguments;
    try {
      arguments = Arguments.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("quiver-bench: " + e.getMessage());
      System.err.println(Arguments.USAGE);
      System.exit(2);
      return;
    }

    BufferAllocator allocator = new RootAllocator(Long.MAX_VALUE);
    StockProducer producer = new StockProducer(new FileDatasets(arguments.data), allocator, arguments.endpointSize);
    FlightServer server = FlightServer.builder(allocator, Location.forGrpcInsecure(arguments.host, arguments.port),
        producer).build();
    server.start();

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        server.shutdown();
        server.awaitTermination();
        server.close();
        allocator.close();
      } catch (Exception e) {
        System.err.println("quiver-bench: shutdown: " + e);
      } finally {
        stopped.countDown();
      }
    }, "stock-shutdown"));

    System.err.println("stock arrow-java Flight server on " + arguments.host + ":" + server.getPort()
        + " serving " + arguments.data.toAbsolutePath().normalize());
    if (arguments.portFile != null) {
      writePortFile(arguments.portFile, server.getPort());
    }
    server.awaitTermination();
    stopped.await();
  }

  private static void setIfAbsent(String property, String value) {
    if (System.getProperty(property) == null) {
      System.setProperty(property, value);
    }
  }

  /** Written to a sibling and renamed, so a reader never sees a partial number. */
  private static void writePortFile(Path portFile, int port) throws IOException {
    Path temporary = portFile.resolveSibling(portFile.getFileName() + ".tmp");
    Files.writeString(temporary, Integer.toString(port), StandardCharsets.US_ASCII);
    Files.move(temporary, portFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** The command line; hand-parsed, the bench jar carries no CLI library. */
  record Arguments(Path data, String host, int port, Path portFile, long endpointSize) {
    static final String USAGE = "usage: java -jar quiver-bench.jar --data FILE-or-DIR [--host HOST] [--port N]"
        + " [--port-file FILE] [--endpoint-size BYTES]";

    static Arguments parse(String[] args) {
      Path data = null;
      String host = "127.0.0.1";
      int port = 0;
      Path portFile = null;
      long endpointSize = 256L << 20;
      for (int i = 0; i < args.length; i++) {
        String option = args[i];
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(option + " needs a value");
        }
        String value = args[++i];
        switch (option) {
          case "--data" -> data = Path.of(value);
          case "--host" -> host = value;
          case "--port" -> port = Integer.parseInt(value);
          case "--port-file" -> portFile = Path.of(value);
          case "--endpoint-size" -> endpointSize = Long.parseLong(value);
          default -> throw new IllegalArgumentException("unknown option " + option);
        }
      }
      if (data == null) {
        throw new IllegalArgumentException("--data is required");
      }
      if (!Files.exists(data)) {
        throw new IllegalArgumentException("--data " + data + " does not exist");
      }
      if (endpointSize <= 0) {
        throw new IllegalArgumentException("--endpoint-size must be positive");
      }
      return new Arguments(data, host, port, portFile, endpointSize);
    }
  }
}
