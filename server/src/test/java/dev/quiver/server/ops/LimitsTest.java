package dev.quiver.server.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.quiver.server.config.CallLimits;
import dev.quiver.server.config.ServerConfig;
import dev.quiver.server.flight.FlightServiceDefinition;
import dev.quiver.server.testing.PutCollector;
import dev.quiver.server.testing.TestServer;
import dev.quiver.server.testing.TestTables;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.flight.CallOptions;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.SyncPutListener;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.flight.impl.FlightServiceGrpc;
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

/**
 * The call limits: concurrent DoGet streams and DoPut uploads beyond the maximum are refused with
 * RESOURCE_EXHAUSTED and a retry hint (and let in again once a slot is free); a silent upload is
 * cancelled after the idle timeout (DEADLINE_EXCEEDED, nothing stored); a message above the maximum
 * size is refused with RESOURCE_EXHAUSTED; a client deadline ends a stream on both sides.
 */
class LimitsTest {
  private static final Schema ONE_COLUMN = new Schema(List.of(Field.notNullable("n", new ArrowType.Int(64, true))));
  private static final int BATCHES = 48;
  private static final int ROWS = 65_536; // 1 MiB batches

  @TempDir Path data;
  private BufferAllocator allocator;
  private final List<ManagedChannel> channels = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    allocator = new RootAllocator();
    TestTables.writeNumbers(allocator, data.resolve("big.arrow"), BATCHES, ROWS);
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    for (ManagedChannel channel : channels) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    assertThat(allocator.getAllocatedMemory()).isZero();
    allocator.close();
  }

  private TestServer start(CallLimits limits) throws Exception {
    return TestServer.start(ServerConfig.forTesting(data).withLimits(limits));
  }

  private static CallLimits limits(int maxStreams, int maxUploads, Duration idle, int maxMessageBytes) {
    return new CallLimits(maxStreams, maxUploads, idle, maxMessageBytes);
  }

  private FlightServiceGrpc.FlightServiceStub stub(TestServer server) {
    ManagedChannel channel = Ops.plainChannel(server.server().port());
    channels.add(channel);
    return FlightServiceGrpc.newStub(channel);
  }

  /** Starts a raw DoPut of dataset {@code name} and sends its schema; the upload stays open. */
  private StreamObserver<Flight.FlightData> openUpload(TestServer server, PutCollector outcome, String name) {
    StreamObserver<Flight.FlightData> upload = stub(server).doPut(outcome);
    upload.onNext(Ops.schemaMessage(ONE_COLUMN, name));
    return upload;
  }

  private void awaitStaged(boolean any) {
    TestServer.awaitTrue(() -> {
      try {
        return Ops.staged(data).isEmpty() != any;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, any ? "an upload to be staged" : "the staging directory to be empty");
  }

  /** Reads the whole dataset, retrying while the server says it is busy (what its hint asks for). */
  private static long readRetrying(FlightClient client) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try (FlightStream stream = client.getStream(Ops.ticket("big"))) {
        return Ops.drain(stream);
      } catch (FlightRuntimeException e) {
        if (!Ops.code(e).equals("RESOURCE_EXHAUSTED") || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(20);
      }
    }
  }

  @Test
  void aStreamBeyondMaxStreamsIsRefusedWithARetryHint() throws Exception {
    try (TestServer server = start(limits(1, 16, Duration.ofMinutes(5), Integer.MAX_VALUE))) {
      FlightClient client = server.client();
      try (FlightStream first = client.getStream(Ops.ticket("big"))) {
        assertThat(first.next()).isTrue();
        long rows = first.getRoot().getRowCount();
        try (FlightStream second = client.getStream(Ops.ticket("big"))) {
          assertThatThrownBy(second::next).isInstanceOfSatisfying(FlightRuntimeException.class, e -> {
            assertThat(Ops.code(e)).isEqualTo("RESOURCE_EXHAUSTED");
            assertThat(e.status().description()).contains("maximum of 1 concurrent", "retry");
          });
        }
        // Other calls are not limited.
        assertThat(client.getInfo(FlightDescriptor.path("big")).getRecords()).isEqualTo((long) BATCHES * ROWS);
        rows += Ops.drain(first);
        assertThat(rows).isEqualTo((long) BATCHES * ROWS);
      }
      // The slot is free again once the first stream has finished.
      assertThat(readRetrying(client)).isEqualTo((long) BATCHES * ROWS);
    }
  }

  @Test
  void anUploadBeyondMaxUploadsIsRefusedWithARetryHint() throws Exception {
    try (TestServer server = start(limits(256, 1, Duration.ofMinutes(5), Integer.MAX_VALUE))) {
      PutCollector first = new PutCollector();
      StreamObserver<Flight.FlightData> open = openUpload(server, first, "first");
      awaitStaged(true);

      PutCollector second = new PutCollector();
      openUpload(server, second, "second");
      Status refused = second.status.get(10, TimeUnit.SECONDS);
      assertThat(refused.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(refused.getDescription()).contains("maximum of 1 concurrent", "upload", "retry");
      // DoGet streams are counted apart.
      try (FlightStream stream = server.client().getStream(Ops.ticket("big"))) {
        assertThat(Ops.drain(stream)).isEqualTo((long) BATCHES * ROWS);
      }

      // The client gives the first upload up: nothing of it is kept, and the slot is free again.
      open.onError(Status.CANCELLED.withDescription("test gives up").asRuntimeException());
      awaitStaged(false);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (true) {
        try {
          putNumbers(server.client(), "third", 100);
          break;
        } catch (FlightRuntimeException e) {
          if (!Ops.code(e).equals("RESOURCE_EXHAUSTED") || System.nanoTime() > deadline) {
            throw e;
          }
          Thread.sleep(20);
        }
      }
      assertThat(server.client().getInfo(FlightDescriptor.path("third")).getRecords()).isEqualTo(100);
      assertThat(server.server().catalog().names()).extracting(Object::toString).doesNotContain("first", "second");
    }
  }

  /** Uploads one batch of {@code rows} rows of {@link #ONE_COLUMN} with arrow-java. */
  private void putNumbers(FlightClient client, String name, int rows) throws Exception {
    try (VectorSchemaRoot root = VectorSchemaRoot.create(ONE_COLUMN, allocator);
         SyncPutListener listener = new SyncPutListener()) {
      BigIntVector n = (BigIntVector) root.getVector("n");
      n.allocateNew(rows);
      for (int i = 0; i < rows; i++) {
        n.set(i, i);
      }
      root.setRowCount(rows);
      FlightClient.ClientStreamListener put = client.startPut(FlightDescriptor.path(name), root, listener);
      put.putNext();
      put.completed();
      put.getResult();
    }
  }

  @Test
  void aSilentUploadIsCancelledAfterTheIdleTimeoutAndStoresNothing() throws Exception {
    try (TestServer server = start(limits(256, 16, Duration.ofMillis(300), Integer.MAX_VALUE))) {
      PutCollector outcome = new PutCollector();
      long started = System.nanoTime();
      StreamObserver<Flight.FlightData> upload = openUpload(server, outcome, "idle");
      Status status = outcome.status.get(10, TimeUnit.SECONDS);
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
      // Flight's TIMED_OUT travels as gRPC DEADLINE_EXCEEDED.
      assertThat(status.getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
      assertThat(status.getDescription()).contains("idle", "nothing was stored").doesNotContain(" 0 s");
      upload.onError(Status.CANCELLED.asRuntimeException());
      awaitStaged(false);
      assertThat(server.server().catalog().names()).extracting(Object::toString).containsExactly("big");
      // arrow-java sees TIMED_OUT.
      try (VectorSchemaRoot root = VectorSchemaRoot.create(ONE_COLUMN, allocator);
           SyncPutListener listener = new SyncPutListener()) {
        FlightClient.ClientStreamListener put = server.client().startPut(FlightDescriptor.path("idle2"), root,
            listener);
        assertThatThrownBy(put::getResult).isInstanceOfSatisfying(FlightRuntimeException.class,
            e -> assertThat(Ops.code(e)).isEqualTo("TIMED_OUT"));
      }
      awaitStaged(false);
    }
  }

  @Test
  void anUploadThatKeepsSendingIsNotCancelled() throws Exception {
    try (TestServer server = start(limits(256, 16, Duration.ofMillis(300), Integer.MAX_VALUE))) {
      PutCollector outcome = new PutCollector();
      StreamObserver<Flight.FlightData> upload = openUpload(server, outcome, "busy");
      // Metadata-only messages every 100 ms for 1.2 s: four times the idle timeout in all, never idle for it.
      for (int i = 0; i < 12; i++) {
        Thread.sleep(100);
        upload.onNext(Flight.FlightData.newBuilder().setAppMetadata(ByteString.copyFromUtf8("tick")).build());
      }
      assertThat(outcome.status).as("the upload is still open").isNotDone();
      upload.onError(Status.CANCELLED.asRuntimeException());
      awaitStaged(false);
    }
  }

  @Test
  void aMessageAboveTheMaximumSizeIsRefused() throws Exception {
    try (TestServer server = start(limits(256, 16, Duration.ofMinutes(5), 64 * 1024))) {
      // A batch of 100 rows (800 bytes of data) fits ...
      putNumbers(server.client(), "small", 100);
      assertThat(server.client().getInfo(FlightDescriptor.path("small")).getRecords()).isEqualTo(100);
      // ... one of 100,000 rows (800 KB) does not.
      assertThatThrownBy(() -> putNumbers(server.client(), "large", 100_000))
          .isInstanceOfSatisfying(FlightRuntimeException.class,
              e -> assertThat(Ops.code(e)).isEqualTo("RESOURCE_EXHAUSTED"));
      awaitStaged(false);
      assertThat(server.server().catalog().names()).extracting(Object::toString).containsExactlyInAnyOrder("big",
          "small");
      // Reading is not limited by it: the 1 MiB batches of "big" still stream.
      try (FlightStream stream = server.client().getStream(Ops.ticket("big"))) {
        assertThat(Ops.drain(stream)).isEqualTo((long) BATCHES * ROWS);
      }
    }
  }

  @Test
  void aClientDeadlineEndsASlowStreamOnBothSides() throws Exception {
    try (TestServer server = start(CallLimits.DEFAULTS)) {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
      try (FlightStream stream = server.client().getStream(Ops.ticket("big"),
          CallOptions.timeout(500, TimeUnit.MILLISECONDS))) {
        assertThat(stream.next()).isTrue();
        assertThat(FlightServiceDefinition.activeDoGetStreams()).isEqualTo(1);
        // A slow reader: nothing more is read until the deadline has passed.
        while (System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
        assertThatThrownBy(() -> Ops.drain(stream)).isInstanceOfSatisfying(FlightRuntimeException.class,
            e -> assertThat(Ops.code(e)).isEqualTo("TIMED_OUT"));
      }
      // The server saw the deadline too: its stream ended and released everything.
      server.awaitQuiet();
      assertThat(FlightServiceDefinition.activeDoGetStreams()).isZero();
      // A stream with a deadline long enough completes.
      try (FlightStream stream = server.client().getStream(Ops.ticket("big"), CallOptions.timeout(30, TimeUnit.SECONDS))) {
        assertThat(Ops.drain(stream)).isEqualTo((long) BATCHES * ROWS);
      }
    }
  }
}
