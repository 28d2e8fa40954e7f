package dev.quiver.docker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.client.DatasetInfo;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.QuiverException;
import dev.quiver.client.UploadOptions;
import dev.quiver.server.ipc.ArrowFiles;
import dev.quiver.server.ipc.ArrowFiles.Spec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * Stopping the container while an upload is in flight stores nothing: {@code docker stop}
 * (SIGTERM) drains, cancels the upload, deletes its temporary file and exits 0; {@code docker
 * kill} (no chance to clean up) leaves only a temporary file in the staging directory, which is
 * never served and which the next container removes when it starts. Either way no partial dataset.
 */
@Testcontainers(disabledWithoutDocker = true)
class ContainerShutdownIT {
  private static final Spec EXISTING = Spec.file(2, 100);
  private static final Schema SCHEMA = new Schema(List.of(Field.notNullable("n", new ArrowType.Int(64, true))));

  @TempDir Path data;
  private BufferAllocator allocator;
  private GenericContainer<?> quiver;

  @BeforeEach
  void setUp() throws IOException {
    allocator = new RootAllocator();
    ArrowFiles.write(data.resolve("existing.arrow"), EXISTING);
  }

  @AfterEach
  void tearDown() {
    if (quiver != null) {
      quiver.stop();
    }
    allocator.close();
  }

  /** A container with a short drain period, so that SIGTERM cancels the upload well within docker stop's grace. */
  private GenericContainer<?> start() throws IOException {
    GenericContainer<?> container = QuiverImage.container(data).withEnv("QUIVER_DRAIN_PERIOD", "2s");
    container.start();
    return container;
  }

  @Test
  void dockerStopDuringAnUploadStoresNothing() throws Exception {
    quiver = start();
    try (QuiverClient client = QuiverClient.builder(QuiverImage.uri(quiver)).build();
         SlowBatches batches = new SlowBatches(allocator)) {
      CompletableFuture<?> upload = CompletableFuture.runAsync(
          () -> client.upload(SCHEMA, batches, "incoming/partial", UploadOptions.defaults()));
      awaitStagedBytes();

      long started = System.nanoTime();
      QuiverImage.docker().stopContainerCmd(quiver.getContainerId()).withTimeout(30).exec();
      Duration stopping = Duration.ofNanos(System.nanoTime() - started);

      Long exitCode = QuiverImage.docker().inspectContainerCmd(quiver.getContainerId()).exec().getState()
          .getExitCodeLong();
      assertThat(exitCode).as("exit code after SIGTERM").isZero();
      assertThat(stopping).as("drained and stopped, not killed after the grace period")
          .isLessThan(Duration.ofSeconds(25));
      assertThat(quiver.getLogs()).contains("SIGTERM received");
      assertThatUploadFailed(upload, batches);

      assertThat(datasetFiles()).containsExactly(data.resolve("existing.arrow"));
      assertThat(stagedFiles()).as("temporary files deleted on the way out").isEmpty();
    }
  }

  @Test
  void aKilledContainerLeavesNoDatasetAndTheNextOneCleansUp() throws Exception {
    quiver = start();
    try (QuiverClient client = QuiverClient.builder(QuiverImage.uri(quiver)).build();
         SlowBatches batches = new SlowBatches(allocator)) {
      CompletableFuture<?> upload = CompletableFuture.runAsync(
          () -> client.upload(SCHEMA, batches, "incoming/partial", UploadOptions.defaults()));
      awaitStagedBytes();
      QuiverImage.docker().killContainerCmd(quiver.getContainerId()).exec();
      assertThatUploadFailed(upload, batches);
    }
    quiver.stop();
    assertThat(datasetFiles()).containsExactly(data.resolve("existing.arrow"));
    assertThat(stagedFiles()).as("a killed server cannot clean up").isNotEmpty();

    quiver = start();
    try (QuiverClient client = QuiverClient.builder(QuiverImage.uri(quiver)).build()) {
      assertThat(client.list(null)).extracting(DatasetInfo::name).containsExactly("existing");
    }
    assertThat(stagedFiles()).as("removed by the next server at start-up").isEmpty();
    assertThat(datasetFiles()).containsExactly(data.resolve("existing.arrow"));
  }

  /**
   * The upload fails once the (stopped) server is gone. The batches end here first: the client
   * library notices a call the server ended only when it finishes sending, so without this it
   * would go on producing batches for up to a minute.
   */
  private static void assertThatUploadFailed(CompletableFuture<?> upload, SlowBatches batches) throws Exception {
    batches.stop = true;
    try {
      upload.get(30, TimeUnit.SECONDS);
      throw new AssertionError("the upload succeeded after " + batches.sent + " batches");
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(QuiverException.class);
    }
  }

  /** Waits until the server has written part of the upload to its staging directory. */
  private void awaitStagedBytes() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      for (Path file : stagedFiles()) {
        if (Files.size(file) > 1_000_000) {
          return;
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the upload never reached the server's staging directory; files: " + stagedFiles());
  }

  private List<Path> stagedFiles() throws IOException {
    Path staging = data.resolve(".quiver-uploads");
    if (!Files.isDirectory(staging)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(staging)) {
      return files.filter(Files::isRegularFile).toList();
    }
  }

  /** Every file under the data directory outside the staging directory. */
  private List<Path> datasetFiles() throws IOException {
    try (Stream<Path> files = Files.walk(data)) {
      return files.filter(Files::isRegularFile).filter(f -> !data.relativize(f).startsWith(".quiver-uploads"))
          .sorted().toList();
    }
  }

  /** Batches of 50,000 longs, one every 100 ms, for at most a minute: an upload that is still running when stopped. */
  private static final class SlowBatches implements Iterator<VectorSchemaRoot>, AutoCloseable {
    private static final int ROWS = 50_000;
    private final VectorSchemaRoot root;
    volatile boolean stop;
    volatile int sent;

    SlowBatches(BufferAllocator allocator) {
      this.root = VectorSchemaRoot.create(SCHEMA, allocator);
    }

    @Override
    public boolean hasNext() {
      return !stop && sent < 600;
    }

    @Override
    public VectorSchemaRoot next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      if (sent > 0) {
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
      }
      BigIntVector n = (BigIntVector) root.getVector(0);
      n.allocateNew(ROWS);
      for (int i = 0; i < ROWS; i++) {
        n.set(i, (long) sent * ROWS + i);
      }
      root.setRowCount(ROWS);
      sent++;
      return root;
    }

    @Override
    public void close() {
      stop = true;
      root.close();
    }
  }
}
