package dev.quiver.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.server.ipc.ArrowFiles;
import dev.quiver.server.ipc.ArrowFiles.Spec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.arrow.flight.Action;
import org.apache.arrow.flight.CallHeaders;
import org.apache.arrow.flight.CallInfo;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.Criteria;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightEndpoint;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightMethod;
import org.apache.arrow.flight.FlightServer;
import org.apache.arrow.flight.FlightServerMiddleware;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.NoOpFlightProducer;
import org.apache.arrow.flight.PutResult;
import org.apache.arrow.flight.RequestContext;
import org.apache.arrow.flight.Result;
import org.apache.arrow.flight.SchemaResult;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.ArrowBuf;
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
 * Credentials reach the server on every kind of call: the ones made through arrow-java's
 * {@code FlightClient} (list, describe, schema, read, the download's GetFlightInfo, an upload from an
 * ArrowReader) and the ones made on raw gRPC stubs (the download's DoGet, an upload from a file).
 * Quiver ignores credentials today, so this runs against a small arrow-java Flight server whose
 * middleware records the {@code authorization} header of each call and refuses a wrong token.
 */
class AuthorizationHeaderTest {
  private static final Schema SCHEMA = new Schema(List.of(Field.notNullable("id", new ArrowType.Int(64, true))));
  private static final String REFUSED = "Bearer wrong";

  @TempDir Path local;
  private BufferAllocator allocator;
  private FlightServer server;
  /** The authorization headers of each call, by method, joined with " + "; "-" when there was none. */
  private final Map<FlightMethod, List<String>> seen = new ConcurrentHashMap<>();

  @BeforeEach
  void start() throws Exception {
    allocator = new RootAllocator();
    FlightServerMiddleware.Factory<FlightServerMiddleware> recorder = (CallInfo info, CallHeaders headers,
        RequestContext context) -> {
      String authorization = headers.get("authorization");
      List<String> all = new ArrayList<>();
      headers.getAll("authorization").forEach(all::add); // sent exactly once, or not at all
      seen.computeIfAbsent(info.method(), m -> Collections.synchronizedList(new ArrayList<>()))
          .add(all.isEmpty() ? "-" : String.join(" + ", all));
      if (REFUSED.equals(authorization)) {
        throw CallStatus.UNAUTHENTICATED.withDescription("token not accepted").toRuntimeException();
      }
      return new FlightServerMiddleware() {
        @Override
        public void onBeforeSendingHeaders(CallHeaders outgoingHeaders) {}

        @Override
        public void onCallCompleted(CallStatus status) {}

        @Override
        public void onCallErrored(Throwable err) {}
      };
    };
    server = FlightServer.builder(allocator, Location.forGrpcInsecure("127.0.0.1", 0), new Producer(allocator))
        .middleware(FlightServerMiddleware.Key.of("recorder"), recorder)
        .build().start();
  }

  @AfterEach
  void stop() throws Exception {
    server.shutdown();
    server.awaitTermination();
    server.close();
    assertThat(allocator.getAllocatedMemory()).isZero();
    allocator.close();
  }

  private QuiverClient client(java.util.function.UnaryOperator<QuiverClient.Builder> credentials) {
    return credentials.apply(QuiverClient.builder("grpc://127.0.0.1:" + server.getPort()).allocator(allocator)).build();
  }

  /** Makes one call of every kind. */
  private void everyCall(QuiverClient client) throws Exception {
    assertThat(client.list("")).extracting(DatasetInfo::name).containsExactly("ds");
    assertThat(client.describe("ds").rows()).isEqualTo(3);
    assertThat(client.schema("ds")).isEqualTo(SCHEMA);
    try (BatchStream stream = client.read(ReadRequest.of("ds"))) {
      assertThat(stream.next()).isTrue();
      assertThat(stream.root().getRowCount()).isEqualTo(3);
    }
    Path out = local.resolve("ds-" + System.nanoTime() + ".arrow");
    assertThat(client.download("ds", out, DownloadOptions.defaults()).rows()).isEqualTo(3);
    Files.delete(out);
  }

  private void fileUpload(QuiverClient client) throws Exception {
    Path file = ArrowFiles.write(local.resolve("up-" + System.nanoTime() + ".arrow"), Spec.file(2, 5));
    assertThat(client.upload(file, "up", UploadOptions.defaults()).dataset()).isEqualTo("up");
  }

  private void rootUpload(QuiverClient client) {
    try (VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator)) {
      ((BigIntVector) root.getVector("id")).allocateNew(1);
      ((BigIntVector) root.getVector("id")).set(0, 42);
      root.setRowCount(1);
      assertThat(client.upload(SCHEMA, List.of(root).iterator(), "up", UploadOptions.defaults()).batches())
          .isEqualTo(1);
    }
  }

  @Test
  void aBearerTokenReachesEveryCall() throws Exception {
    try (QuiverClient client = client(b -> b.bearerToken("t0ken"))) {
      everyCall(client);
      fileUpload(client);
      assertThat(seen.get(FlightMethod.DO_PUT)).containsExactly("Bearer t0ken");
      rootUpload(client);
    }
    assertThat(seen.keySet()).contains(FlightMethod.LIST_FLIGHTS, FlightMethod.DO_ACTION, FlightMethod.GET_SCHEMA,
        FlightMethod.DO_GET, FlightMethod.GET_FLIGHT_INFO, FlightMethod.DO_PUT);
    seen.forEach((method, headers) -> assertThat(headers).as("%s", method).isNotEmpty().containsOnly("Bearer t0ken"));
    assertThat(seen.get(FlightMethod.DO_GET)).as("read and download").hasSize(2);
    assertThat(seen.get(FlightMethod.DO_PUT)).as("file and roots").hasSize(2);
  }

  @Test
  void basicCredentialsReachEveryCall() throws Exception {
    try (QuiverClient client = client(b -> b.basicAuth("ana", "s3cret:x"))) {
      everyCall(client);
      fileUpload(client);
      rootUpload(client);
    }
    String expected = "Basic " + Base64.getEncoder().encodeToString("ana:s3cret:x".getBytes(StandardCharsets.UTF_8));
    assertThat(seen).isNotEmpty();
    seen.forEach((method, headers) -> assertThat(headers).as("%s", method).containsOnly(expected));
  }

  @Test
  void withoutCredentialsNoHeaderIsSent() throws Exception {
    try (QuiverClient client = client(b -> b)) {
      everyCall(client);
      fileUpload(client);
    }
    seen.forEach((method, headers) -> assertThat(headers).as("%s", method).containsOnly("-"));
  }

  @Test
  void refusedCredentialsAreAnAuthenticationError() throws Exception {
    Path file = ArrowFiles.write(local.resolve("up.arrow"), Spec.file(1, 5));
    try (QuiverClient client = client(b -> b.bearerToken("wrong"))) {
      assertThatThrownBy(() -> client.list("")).isInstanceOf(AuthenticationException.class)
          .hasMessageContaining("token not accepted").hasMessageContaining("check the token");
      assertThatThrownBy(() -> client.download("ds", local.resolve("ds.arrow"), DownloadOptions.defaults()))
          .isInstanceOf(AuthenticationException.class);
      assertThatThrownBy(() -> client.upload(file, "up", UploadOptions.defaults()))
          .isInstanceOf(AuthenticationException.class);
    }
    assertThat(local.resolve("ds.arrow")).doesNotExist();
  }

  /** Serves one dataset "ds" (3 rows) the way Quiver does, and acknowledges uploads like Quiver. */
  private static final class Producer extends NoOpFlightProducer {
    private final BufferAllocator allocator;

    Producer(BufferAllocator allocator) {
      this.allocator = allocator;
    }

    private FlightInfo info() {
      Ticket ticket = new Ticket("{\"dataset\":\"ds\",\"batches\":[0,1]}".getBytes(StandardCharsets.UTF_8));
      return new FlightInfo(SCHEMA, FlightDescriptor.path("ds"), List.of(new FlightEndpoint(ticket)), 100, 3);
    }

    @Override
    public void listFlights(CallContext context, Criteria criteria, StreamListener<FlightInfo> listener) {
      listener.onNext(info());
      listener.onCompleted();
    }

    @Override
    public FlightInfo getFlightInfo(CallContext context, FlightDescriptor descriptor) {
      return info();
    }

    @Override
    public SchemaResult getSchema(CallContext context, FlightDescriptor descriptor) {
      return new SchemaResult(SCHEMA);
    }

    @Override
    public void getStream(CallContext context, Ticket ticket, ServerStreamListener listener) {
      try (VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator)) {
        BigIntVector id = (BigIntVector) root.getVector("id");
        id.allocateNew(3);
        for (int i = 0; i < 3; i++) {
          id.set(i, i);
        }
        root.setRowCount(3);
        listener.start(root);
        listener.putNext();
        listener.completed();
      }
    }

    @Override
    public Runnable acceptPut(CallContext context, FlightStream stream, StreamListener<PutResult> ackStream) {
      return () -> {
        long batches = 0;
        long rows = 0;
        while (stream.next()) {
          batches++;
          rows += stream.getRoot().getRowCount();
        }
        String ack = "{\"dataset\":\"up\",\"mode\":\"create\",\"batches\":" + batches + ",\"rows\":" + rows
            + ",\"bytes\":1,\"parts\":1,\"durable\":true}";
        byte[] bytes = ack.getBytes(StandardCharsets.UTF_8);
        try (ArrowBuf buffer = allocator.buffer(bytes.length)) {
          buffer.writeBytes(bytes);
          ackStream.onNext(PutResult.metadata(buffer));
        }
        ackStream.onCompleted();
      };
    }

    @Override
    public void doAction(CallContext context, Action action, StreamListener<Result> listener) {
      String describe = "{\"dataset\":\"ds\",\"path\":\"ds.arrow\",\"format\":\"file\",\"parts\":1,\"rows\":3,"
          + "\"batches\":1,\"bytes\":100,\"compression\":\"none\",\"modified\":\"2026-01-01T00:00:00Z\","
          + "\"schema\":[{\"name\":\"id\",\"type\":\"Int(64, true)\",\"nullable\":false}]}";
      listener.onNext(new Result(describe.getBytes(StandardCharsets.UTF_8)));
      listener.onCompleted();
    }
  }
}
