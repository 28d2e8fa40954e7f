package dev.quiver.client.download;

import dev.quiver.client.Cancellation;
import dev.quiver.client.DestinationExistsException;
import dev.quiver.client.DownloadOptions;
import dev.quiver.client.DownloadResult;
import dev.quiver.client.LocalIoException;
import dev.quiver.client.ServerException;
import dev.quiver.client.TransferCancelledException;
import dev.quiver.client.internal.Connection;
import dev.quiver.client.internal.Errors;
import dev.quiver.client.internal.ProgressCounter;
import dev.quiver.protocol.DatasetName;
import dev.quiver.protocol.DatasetTicket;
import dev.quiver.protocol.ProtocolException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightEndpoint;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * One download: asks for the dataset's endpoints, fetches them in parallel into hidden spool files
 * next to the destination ({@link EndpointFetch}), assembles the output file from them in order
 * ({@link IpcAssembler}) under a hidden temporary name, fsyncs it and only then gives it its real
 * name. Whatever happens, the spool and temporary files are deleted before {@link #run} returns.
 *
 * <p>Internal: use {@link dev.quiver.client.QuiverClient#download}.
 */
public final class Downloader {
  private static final System.Logger log = System.getLogger(Downloader.class.getName());

  private final Connection connection;
  private final DatasetName dataset;
  private final Path destination;
  private final DownloadOptions options;
  private final String what;
  private final AtomicInteger resumes = new AtomicInteger();

  public Downloader(Connection connection, DatasetName dataset, Path destination, DownloadOptions options) {
    this.connection = connection;
    this.dataset = dataset;
    this.destination = destination.toAbsolutePath().normalize();
    this.options = options;
    this.what = "download of dataset '" + dataset + "'";
  }

  public DownloadResult run() {
    checkDestination();
    FlightInfo info = flightInfo();
    Path directory = destination.getParent();
    String hidden = "." + destination.getFileName() + "." + UUID.randomUUID();
    Path temporary = directory.resolve(hidden + ".tmp");
    ProgressCounter progress = new ProgressCounter(options.progress(), info.getBytes(), info.getRecords());
    List<EndpointFetch> endpoints = new ArrayList<>();
    for (FlightEndpoint endpoint : info.getEndpoints()) {
      endpoints.add(new EndpointFetch(connection, ticketOf(endpoint), directory.resolve(hidden + ".part"
          + endpoints.size()), progress, this::tryResume));
    }
    Cancellation cancellation = options.cancellation();
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(options.parallelism(), endpoints.size())),
        daemonThreads());
    try (Cancellation.Registration ignored = cancellation.onCancel(() -> endpoints.forEach(EndpointFetch::cancel))) {
      fetchAll(pool, endpoints);
      if (cancellation.isCancelled()) {
        throw new TransferCancelledException(what + " was cancelled", null);
      }
      ByteBuffer schemaHeader = endpoints.isEmpty() ? schemaMessage(info.getSchema()) : endpoints.get(0).schemaHeader();
      Schema schema = endpoints.isEmpty() ? info.getSchema() : MessageSerializer.deserializeSchema(
          org.apache.arrow.flatbuf.Message.getRootAsMessage(schemaHeader.duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN)));
      boolean stream = destination.getFileName().toString().endsWith(".arrows");
      IpcAssembler.Written written = new IpcAssembler(dataset.toString(), stream)
          .write(temporary, schemaHeader, schema, endpoints);
      publish(temporary);
      progress.complete(written.bytes());
      return new DownloadResult(destination, written.rows(), written.batches(), written.bytes(), resumes.get());
    } catch (IOException | UncheckedIOException e) {
      throw new LocalIoException(what + " failed writing " + destination + ": " + e.getMessage(), e);
    } finally {
      pool.shutdownNow();
      try {
        // After a failure, fetches cancelled but still running could create or write their spool
        // files after the cleanup below: let them end first.
        if (!pool.awaitTermination(30, TimeUnit.SECONDS)) {
          log.log(System.Logger.Level.WARNING, what + ": endpoint fetches did not stop in time");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      for (EndpointFetch endpoint : endpoints) {
        try {
          endpoint.discard();
        } catch (UncheckedIOException e) {
          log.log(System.Logger.Level.WARNING, "could not delete a download spool file: " + e.getMessage());
        }
      }
      try {
        Files.deleteIfExists(temporary);
      } catch (IOException e) {
        log.log(System.Logger.Level.WARNING, "could not delete " + temporary + ": " + e.getMessage());
      }
    }
  }

  private void checkDestination() {
    Path directory = destination.getParent();
    if (directory == null || !Files.isDirectory(directory)) {
      throw new LocalIoException(what + " failed: the directory " + directory + " does not exist", null);
    }
    if (Files.isDirectory(destination)) {
      throw new LocalIoException(what + " failed: " + destination + " is a directory; give a file name", null);
    }
    if (Files.exists(destination) && !options.overwrite()) {
      throw new DestinationExistsException(what + " failed: " + destination
          + " already exists; allow overwriting to replace it", null);
    }
    if (!Files.isWritable(directory)) {
      throw new LocalIoException(what + " failed: the directory " + directory + " is not writable", null);
    }
  }

  private FlightInfo flightInfo() {
    try {
      return connection.flight().getInfo(FlightDescriptor.path(dataset.segments()), connection.callOptions());
    } catch (RuntimeException e) {
      throw Errors.translate(e, what, connection.target());
    }
  }

  private DatasetTicket ticketOf(FlightEndpoint endpoint) {
    try {
      DatasetTicket ticket = DatasetTicket.parse(endpoint.getTicket().getBytes());
      if (ticket.batches().isEmpty()) {
        throw new ProtocolException("no batch range");
      }
      return ticket;
    } catch (ProtocolException e) {
      throw new ServerException("INTERNAL", what + " failed: the server's endpoint ticket is not a Quiver ticket with a"
          + " batch range (" + e.getMessage() + ")", e);
    }
  }

  private void fetchAll(ExecutorService pool, List<EndpointFetch> endpoints) throws IOException {
    List<Future<?>> futures = new ArrayList<>();
    for (EndpointFetch endpoint : endpoints) {
      futures.add(pool.submit(() -> {
        endpoint.run();
        return null;
      }));
    }
    for (Future<?> future : futures) {
      try {
        future.get();
      } catch (ExecutionException e) {
        endpoints.forEach(EndpointFetch::cancel); // the download failed: stop the others
        Throwable cause = e.getCause();
        if (cause instanceof IOException io) {
          throw io;
        }
        if (cause instanceof TransferCancelledException) {
          throw new TransferCancelledException(what + " was cancelled", cause); // say which download
        }
        throw Errors.translate(cause, what, connection.target());
      } catch (InterruptedException e) {
        endpoints.forEach(EndpointFetch::cancel);
        Thread.currentThread().interrupt();
        throw new TransferCancelledException(what + " was interrupted", e);
      }
    }
  }

  /** Called by an endpoint whose connection broke: whether it may ask again. */
  private boolean tryResume(Throwable cause, int attempt) {
    if (!Errors.isTransient(cause) || options.cancellation().isCancelled() || attempt > options.maxResumes()) {
      return false;
    }
    resumes.incrementAndGet();
    log.log(System.Logger.Level.INFO, what + ": connection broke (" + cause.getMessage() + "), resuming ("
        + attempt + " of " + options.maxResumes() + ")");
    try {
      Thread.sleep(Math.min(2_000, 100L << Math.min(attempt, 5)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
    return true;
  }

  /** Gives the complete file its name: without replacing anything unless overwriting was allowed. */
  private void publish(Path temporary) throws IOException {
    if (options.overwrite()) {
      Files.move(temporary, destination, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } else {
      try {
        Files.createLink(destination, temporary); // fails if the name was taken meanwhile
      } catch (FileAlreadyExistsException e) {
        throw new LocalIoException(what + " failed: " + destination + " appeared during the download", e);
      } catch (UnsupportedOperationException e) {
        Files.move(temporary, destination, StandardCopyOption.ATOMIC_MOVE);
      }
    }
    try (FileChannel dir = FileChannel.open(destination.getParent(), StandardOpenOption.READ)) {
      dir.force(true);
    } catch (IOException e) {
      // some filesystems cannot fsync a directory; the file itself is durable
    }
  }

  private static ByteBuffer schemaMessage(Schema schema) {
    try {
      java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
      MessageSerializer.serialize(new WriteChannel(java.nio.channels.Channels.newChannel(bytes)), schema,
          IpcOption.DEFAULT);
      ByteBuffer framed = ByteBuffer.wrap(bytes.toByteArray()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      framed.getInt(); // continuation
      int length = framed.getInt();
      return framed.slice().limit(length);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static java.util.concurrent.ThreadFactory daemonThreads() {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, "quiver-download-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
