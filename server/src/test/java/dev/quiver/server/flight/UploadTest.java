package dev.quiver.server.flight;

import static dev.quiver.server.testing.FlightDataMessages.data;

import static dev.quiver.server.flight.FlightReads.mixedRows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quiver.protocol.ProtocolSchema;
import com.google.protobuf.ByteString;
import dev.quiver.server.config.ServerConfig;
import dev.quiver.server.ipc.ArrowFiles;
import dev.quiver.server.testing.PutCollector;
import dev.quiver.server.testing.TestServer;
import dev.quiver.server.testing.TestTables;
import dev.quiver.server.upload.UploadLimits;
import dev.quiver.server.upload.UploadStaging;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flight.Action;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.PutResult;
import org.apache.arrow.flight.Result;
import org.apache.arrow.flight.SyncPutListener;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.flight.impl.FlightServiceGrpc;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * DoPut against a real server: arrow-java's {@code FlightClient.startPut} for what a well-behaved
 * client sends (acknowledgements, layout on disk, DoGet equal to the upload), and the raw gRPC stub
 * for what arrow-java would never send (bodies that disagree with their headers, garbage headers,
 * batches of another schema, streams without descriptor or schema). Whatever fails leaves nothing:
 * no dataset, no file, an empty staging directory.
 */
class UploadTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] CATEGORIES = {"alpha", "beta", "gamma", "delta"};

  @TempDir Path data;
  @TempDir Path scratch;
  private BufferAllocator allocator;
  private final List<ManagedChannel> channels = new ArrayList<>();

  @BeforeEach
  void setUp() {
    allocator = new RootAllocator();
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    for (ManagedChannel channel : channels) {
      channel.shutdownNow();
      channel.awaitTermination(10, TimeUnit.SECONDS);
    }
    assertThat(allocator.getAllocatedMemory()).as("test allocator after the test").isZero();
    allocator.close();
  }

  // ---- arrow-java client ---------------------------------------------------------------------------

  /** What an arrow-java upload got back: the acknowledgements, parsed. */
  private record Upload(List<JsonNode> acks) {
    JsonNode last() {
      return acks.get(acks.size() - 1);
    }
  }

  /**
   * Uploads {@code batches} batches of {@code rows} rows of the mixed table (the rows {@code first}
   * on) with {@code FlightClient.startPut}, the dictionary column sent with its dictionary.
   */
  private Upload putMixed(FlightClient client, FlightDescriptor descriptor, long first, int batches, int rows)
      throws Exception {
    try (VarCharVector dictionaryValues = new VarCharVector("category-values", allocator)) {
      for (int i = 0; i < CATEGORIES.length; i++) {
        dictionaryValues.setSafe(i, CATEGORIES[i].getBytes(StandardCharsets.UTF_8));
      }
      dictionaryValues.setValueCount(CATEGORIES.length);
      Dictionary dictionary = new Dictionary(dictionaryValues,
          new DictionaryEncoding(TestTables.CATEGORY_DICTIONARY_ID, false, new ArrowType.Int(32, true)));
      DictionaryProvider provider = new DictionaryProvider.MapDictionaryProvider(dictionary);
      try (VectorSchemaRoot root = VectorSchemaRoot.create(TestTables.mixedSchema(), allocator);
           SyncPutListener listener = new SyncPutListener()) {
        FlightClient.ClientStreamListener put = client.startPut(descriptor, root, provider, listener);
        for (int b = 0; b < batches; b++) {
          TestTables.fillMixed(root, first + (long) b * rows, rows);
          put.putNext();
        }
        put.completed();
        List<JsonNode> acks = new ArrayList<>();
        try {
          while (true) {
            try (PutResult result = listener.read()) {
              if (result == null) {
                break;
              }
              acks.add(json(result.getApplicationMetadata()));
            }
          }
        } catch (java.util.concurrent.ExecutionException e) {
          put.getResult(); // throws the server's error as a FlightRuntimeException
          throw e;
        }
        put.getResult();
        // Every acknowledgement is one the reference documents (proto-docs/schemas/put-ack).
        acks.forEach(ack -> assertThat(ProtocolSchema.PUT_ACK.violations(ack)).as(ack.toString()).isEmpty());
        return new Upload(acks);
      }
    }
  }

  private static JsonNode json(ArrowBuf buffer) throws IOException {
    byte[] bytes = new byte[(int) buffer.readableBytes()];
    buffer.getBytes(buffer.readerIndex(), bytes);
    return JSON.readTree(bytes);
  }

  private static FlightDescriptor command(String json) {
    return FlightDescriptor.command(json.getBytes(StandardCharsets.UTF_8));
  }

  private static JsonNode action(FlightClient client, String type, String body) throws IOException {
    List<JsonNode> results = new ArrayList<>();
    var it = client.doAction(new Action(type, body.getBytes(StandardCharsets.UTF_8)));
    while (it.hasNext()) {
      Result result = it.next();
      results.add(JSON.readTree(result.getBody()));
    }
    assertThat(results).hasSize(1);
    return results.get(0);
  }

  /** Files and directories under the data root, relative, sorted; the staging directory's own listed apart. */
  private List<String> files() throws IOException {
    try (Stream<Path> walk = Files.walk(data)) {
      return walk.filter(p -> !p.equals(data) && !p.startsWith(data.resolve(UploadStaging.DIRECTORY)))
          .map(p -> data.relativize(p).toString()).sorted().toList();
    }
  }

  private List<String> staging() throws IOException {
    Path directory = data.resolve(UploadStaging.DIRECTORY);
    if (!Files.isDirectory(directory)) {
      return List.of(); // created on the first upload only
    }
    try (Stream<Path> list = Files.list(directory)) {
      return list.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** The server deletes a failed upload's file when it sees the failure (cancellations arrive asynchronously). */
  private void awaitStagingEmpty() {
    TestServer.awaitTrue(() -> {
      try {
        return staging().isEmpty();
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    }, "the staging directory to be emptied");
  }

  @Test
  void startPutStoresAnIpcFileAndAcknowledgesEveryBatch() throws Exception {
    try (TestServer server = TestServer.start(data)) {
      Upload upload = putMixed(server.client(), FlightDescriptor.path("up", "mixed"), 0, 4, 250);
      assertThat(upload.acks()).hasSize(5);
      for (int b = 0; b < 4; b++) {
        assertThat(upload.acks().get(b).toString()).isEqualTo("{\"batches\":" + (b + 1) + ",\"rows\":" + (b + 1) * 250 + "}");
      }
      Path file = data.resolve("up/mixed.arrow");
      JsonNode last = upload.last();
      assertThat(last.get("dataset").asText()).isEqualTo("up/mixed");
      assertThat(last.get("mode").asText()).isEqualTo("create");
      assertThat(last.get("batches").asInt()).isEqualTo(4);
      assertThat(last.get("rows").asLong()).isEqualTo(1000);
      assertThat(last.get("bytes").asLong()).isEqualTo(Files.size(file));
      assertThat(last.get("parts").asInt()).isEqualTo(1);
      assertThat(last.get("durable").asBoolean()).isTrue();
      assertThat(files()).containsExactly("up", "up/mixed.arrow");
      assertThat(staging()).isEmpty();

      // Served back as uploaded, dictionary decoded, schema metadata kept.
      FlightReads.Result read = FlightReads.read(server.client(), "up/mixed");
      assertThat(read.schema()).isEqualTo(TestTables.mixedSchema());
      assertThat(read.batches()).isEqualTo(4);
      assertThat(read.rows()).isEqualTo(mixedRows(0, 1000));

      // The file is an IPC file another reader (arrow-java's ArrowFileReader) reads the same.
      ArrowFiles.Table onDisk = ArrowFiles.read(allocator, Files.readAllBytes(file));
      assertThat(onDisk.batches()).hasSize(4);
      List<List<Object>> rows = new ArrayList<>();
      onDisk.batches().forEach(rows::addAll);
      assertThat(rows).isEqualTo(mixedRows(0, 1000));

      assertThat(server.client().getInfo(FlightDescriptor.path("up", "mixed")).getRecords()).isEqualTo(1000);
    }
  }

  @Test
  void appendTurnsTheDatasetIntoPartsAndOverwriteReplacesThem() throws Exception {
    try (TestServer server = TestServer.start(data)) {
      FlightClient client = server.client();
      FlightDescriptor append = command("{\"dataset\": \"log\", \"mode\": \"append\"}");
      assertThat(putMixed(client, append, 0, 2, 100).last().get("parts").asInt()).isEqualTo(1);
      assertThat(files()).containsExactly("log.arrow");
      Object firstFile = Files.readAttributes(data.resolve("log.arrow"),
          java.nio.file.attribute.BasicFileAttributes.class).fileKey();

      assertThat(putMixed(client, append, 200, 1, 50).last().get("parts").asInt()).isEqualTo(2);
      assertThat(putMixed(client, append, 250, 3, 10).last().get("parts").asInt()).isEqualTo(3);
      assertThat(files()).containsExactly(
          "log.parts", "log.parts/part-000000.arrow", "log.parts/part-000001.arrow", "log.parts/part-000002.arrow");
      assertThat(Files.readAttributes(data.resolve("log.parts/part-000000.arrow"),
          java.nio.file.attribute.BasicFileAttributes.class).fileKey())
          .as("part 0 is the first file, hard-linked").isEqualTo(firstFile);
      FlightReads.Result read = FlightReads.read(client, "log");
      assertThat(read.batches()).isEqualTo(6);
      assertThat(read.rows()).isEqualTo(mixedRows(0, 280));

      JsonNode described = action(client, "describe", "log");
      assertThat(described.get("format").asText()).isEqualTo("parts");
      assertThat(described.get("parts").asInt()).isEqualTo(3);
      assertThat(described.get("rows").asLong()).isEqualTo(280);
      assertThat(described.get("schema").get(4).get("dictionary_encoded").asBoolean()).isTrue();

      JsonNode overwritten = putMixed(client, command("{\"dataset\": \"log\", \"mode\": \"overwrite\"}"), 1000, 1, 7)
          .last();
      assertThat(overwritten.get("mode").asText()).isEqualTo("overwrite");
      assertThat(files()).containsExactly("log.arrow");
      assertThat(FlightReads.read(client, "log").rows()).isEqualTo(mixedRows(1000, 7));
      assertThat(staging()).isEmpty();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"lz4", "zstd"})
  void compressionOnWriteIsServedBackEqual(String codec) throws Exception {
    try (TestServer server = TestServer.start(data)) {
      FlightClient client = server.client();
      putMixed(client, command("{\"dataset\": \"plain\"}"), 0, 3, 2000);
      putMixed(client, command("{\"dataset\": \"packed\", \"compression\": \"" + codec + "\"}"), 0, 3, 2000);
      JsonNode described = action(client, "describe", "{\"dataset\": \"packed\"}");
      assertThat(described.get("compression").asText()).isEqualTo(codec.equals("lz4") ? "lz4_frame" : "zstd");
      assertThat(described.get("bytes").asLong()).isLessThan(Files.size(data.resolve("plain.arrow")));
      assertThat(FlightReads.read(client, "packed").rows()).isEqualTo(mixedRows(0, 6000));
      List<List<Object>> rows = new ArrayList<>();
      ArrowFiles.read(allocator, Files.readAllBytes(data.resolve("packed.arrow"))).batches().forEach(rows::addAll);
      assertThat(rows).isEqualTo(mixedRows(0, 6000));
    }
    // TestServer.close() checked that the compressor gave back every buffer of the server allocator.
  }

  @Test
  void createOfAnExistingDatasetIsAlreadyExists() throws Exception {
    try (TestServer server = TestServer.start(data)) {
      putMixed(server.client(), FlightDescriptor.path("t"), 0, 1, 10);
      byte[] before = Files.readAllBytes(data.resolve("t.arrow"));
      assertThatThrownBy(() -> putMixed(server.client(), FlightDescriptor.path("t"), 100, 1, 10))
          .isInstanceOfSatisfying(FlightRuntimeException.class, e -> {
            assertThat(e.status().code()).isEqualTo(FlightStatusCode.ALREADY_EXISTS);
            assertThat(e.getMessage()).contains("already exists");
          });
      assertThat(Files.readAllBytes(data.resolve("t.arrow"))).isEqualTo(before);
      awaitStagingEmpty();
    }
  }

  @Test
  void appendWithAnotherSchemaIsInvalidArgumentNamingTheDifference() throws Exception {
    try (TestServer server = TestServer.start(data)) {
      putMixed(server.client(), command("{\"dataset\": \"t\", \"mode\": \"append\"}"), 0, 1, 10);
      Schema other = new Schema(List.of(Field.nullable("id", new ArrowType.Int(32, true))));
      try (VectorSchemaRoot root = VectorSchemaRoot.create(other, allocator);
           SyncPutListener listener = new SyncPutListener()) {
        ((IntVector) root.getVector("id")).allocateNew(1);
        root.setRowCount(1);
        FlightClient.ClientStreamListener put = server.client().startPut(
            command("{\"dataset\": \"t\", \"mode\": \"append\"}"), root, listener);
        put.putNext();
        put.completed();
        assertThatThrownBy(put::getResult).isInstanceOfSatisfying(FlightRuntimeException.class, e -> {
          assertThat(e.status().code()).isEqualTo(FlightStatusCode.INVALID_ARGUMENT);
          assertThat(e.getMessage()).contains("cannot append to dataset 't'").contains("columns are [id]");
        });
      }
      assertThat(files()).containsExactly("t.arrow");
      awaitStagingEmpty();
      assertThat(FlightReads.read(server.client(), "t").rows()).isEqualTo(mixedRows(0, 10));
    }
  }

  @Test
  void anUploadTheClientAbandonsLeavesNothing() throws Exception {
    try (TestServer server = TestServer.start(data)) {
      try (VectorSchemaRoot root = VectorSchemaRoot.create(TestTables.mixedSchema(), allocator);
           VarCharVector values = new VarCharVector("v", allocator);
           SyncPutListener listener = new SyncPutListener()) {
        values.allocateNew();
        for (int i = 0; i < CATEGORIES.length; i++) {
          values.setSafe(i, CATEGORIES[i].getBytes(StandardCharsets.UTF_8));
        }
        values.setValueCount(CATEGORIES.length);
        DictionaryProvider provider = new DictionaryProvider.MapDictionaryProvider(new Dictionary(values,
            new DictionaryEncoding(TestTables.CATEGORY_DICTIONARY_ID, false, new ArrowType.Int(32, true))));
        FlightClient.ClientStreamListener put = server.client().startPut(FlightDescriptor.path("gone"), root,
            provider, listener);
        TestTables.fillMixed(root, 0, 100);
        put.putNext();
        try (PutResult ack = listener.read()) {
          assertThat(json(ack.getApplicationMetadata()).get("batches").asInt()).isEqualTo(1);
        }
        assertThat(staging()).as("the upload is under way").hasSize(1);
        put.error(new RuntimeException("the client gives up"));
        assertThatThrownBy(put::getResult).isInstanceOf(FlightRuntimeException.class);
      }
      awaitStagingEmpty();
      assertThat(files()).isEmpty();
      assertThat(server.server().catalog().names()).isEmpty();
    }
  }

  // ---- raw gRPC: messages arrow-java would never send ----------------------------------------------

  /** The messages of a stream arrow-java writes: schema, dictionary, then record batches. */
  private List<ArrowFiles.RawMessage> stream(ArrowFiles.Spec spec) throws IOException {
    return ArrowFiles.messages(ArrowFiles.bytes(allocator, spec));
  }

  private static Flight.FlightDescriptor pathDescriptor(String... path) {
    return Flight.FlightDescriptor.newBuilder().setType(Flight.FlightDescriptor.DescriptorType.PATH)
        .addAllPath(Arrays.asList(path)).build();
  }

  /** The messages of {@code spec}'s stream, the first carrying {@code descriptor}. */
  private List<Flight.FlightData> upload(Flight.FlightDescriptor descriptor, ArrowFiles.Spec spec) throws IOException {
    List<Flight.FlightData> out = new ArrayList<>();
    for (ArrowFiles.RawMessage m : stream(spec)) {
      out.add(data(out.isEmpty() ? descriptor : null, m.header(), m.body()));
    }
    return out;
  }

  private FlightServiceGrpc.FlightServiceStub stub(TestServer server) {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.server().port()).usePlaintext()
        .maxInboundMessageSize(Integer.MAX_VALUE).build();
    channels.add(channel);
    return FlightServiceGrpc.newStub(channel);
  }

  /** Sends {@code messages} on one DoPut and half-closes; returns what the server answered. */
  private PutCollector.Outcome rawPut(TestServer server, List<Flight.FlightData> messages) throws Exception {
    PutCollector collector = new PutCollector();
    StreamObserver<Flight.FlightData> requests = stub(server).doPut(collector);
    for (Flight.FlightData message : messages) {
      requests.onNext(message);
    }
    requests.onCompleted();
    return collector.await();
  }

  /** Asserts the raw upload failed with INVALID_ARGUMENT saying {@code message}, and left nothing. */
  private void assertRefused(TestServer server, List<Flight.FlightData> messages, String message) throws Exception {
    List<String> before = files();
    PutCollector.Outcome outcome = rawPut(server, messages);
    assertThat(outcome.status().getCode()).as(outcome.status().toString()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(outcome.status().getDescription()).contains(message);
    awaitStagingEmpty();
    assertThat(files()).isEqualTo(before);
    assertThat(server.server().catalog().names()).extracting(Object::toString).doesNotContain("bad");
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void rawUploadOfAnArrowJavaStreamIsStoredAsSent() throws Exception {
    ArrowFiles.Spec spec = ArrowFiles.Spec.stream(3, 20);
    try (TestServer server = TestServer.start(data)) {
      List<Flight.FlightData> messages = new ArrayList<>(upload(pathDescriptor("raw"), spec));
      // Metadata-only messages (no IPC header) are allowed anywhere and store nothing.
      messages.add(2, Flight.FlightData.newBuilder().setAppMetadata(ByteString.copyFromUtf8("hello")).build());
      PutCollector.Outcome outcome = rawPut(server, messages);
      assertThat(outcome.status().getCode()).as(outcome.status().toString()).isEqualTo(Status.Code.OK);
      assertThat(outcome.acks()).hasSize(4);
      assertThat(outcome.acks().get(2)).isEqualTo("{\"batches\":3,\"rows\":60}");
      ArrowFiles.Table stored = ArrowFiles.read(allocator, Files.readAllBytes(data.resolve("raw.arrow")));
      assertThat(stored.columns()).isEqualTo(ArrowFiles.COLUMNS);
      assertThat(stored.batches()).isEqualTo(ArrowFiles.expected(spec));
    }
  }

  @Test
  void bodyShorterThanItsHeaderSaysIsRefused() throws Exception {
    try (TestServer server = TestServer.start(data)) {
      List<Flight.FlightData> messages = upload(pathDescriptor("bad"), ArrowFiles.Spec.stream(2, 10));
      Flight.FlightData last = messages.get(messages.size() - 1);
      byte[] body = last.getDataBody().toByteArray();
      messages.set(messages.size() - 1, data(null, last.getDataHeader().toByteArray(),
          Arrays.copyOf(body, body.length - 8)));
      assertRefused(server, messages, "but " + (body.length - 8) + " bytes came with it");
    }
  }

  @Test
  void bodyLongerThanItsHeaderSaysIsRefused() throws Exception {
    try (TestServer server = TestServer.start(data)) {
      List<Flight.FlightData> messages = upload(pathDescriptor("bad"), ArrowFiles.Spec.stream(2, 10));
      Flight.FlightData batch = messages.get(2);
      messages.set(2, data(null, batch.getDataHeader().toByteArray(),
          concat(batch.getDataBody().toByteArray(), new byte[64])));
      assertRefused(server, messages, "bytes came with it");
    }
  }

  @Test
  void garbageHeadersAreRefused() throws Exception {
    byte[] garbage = "this is not a flatbuffer message at all".getBytes(StandardCharsets.UTF_8);
    try (TestServer server = TestServer.start(data)) {
      List<Flight.FlightData> messages = upload(pathDescriptor("bad"), ArrowFiles.Spec.stream(2, 10));
      messages.set(2, data(null, garbage, new byte[16]));
      assertRefused(server, messages, "message 1");
      // As the very first message, in place of the schema.
      assertRefused(server, List.of(data(pathDescriptor("bad"), garbage, null)), "invalid schema message");
      // A body without any header.
      List<Flight.FlightData> headless = upload(pathDescriptor("bad"), ArrowFiles.Spec.stream(1, 10));
      headless.add(data(null, null, new byte[64]));
      assertRefused(server, headless, "a body but no IPC header");
    }
  }

  @Test
  void batchOfAnotherSchemaIsRefused() throws Exception {
    try (TestServer server = TestServer.start(data)) {
      // The stream's schema is the ArrowFiles one; the batch comes from the mixed table (other columns).
      Path other = TestTables.writeMixed(allocator, scratch.resolve("mixed.arrows"), 1, 10, true);
      List<ArrowFiles.RawMessage> foreign = ArrowFiles.messages(Files.readAllBytes(other));
      ArrowFiles.RawMessage foreignBatch = foreign.get(foreign.size() - 1);
      List<Flight.FlightData> messages = upload(pathDescriptor("bad"), ArrowFiles.Spec.stream(1, 10));
      messages.add(data(null, foreignBatch.header(), foreignBatch.body()));
      assertRefused(server, messages, "message 2");
    }
  }

  @Test
  void secondSchemaMessageIsRefused() throws Exception {
    try (TestServer server = TestServer.start(data)) {
      List<Flight.FlightData> messages = upload(pathDescriptor("bad"), ArrowFiles.Spec.stream(1, 10));
      messages.add(data(null, messages.get(0).getDataHeader().toByteArray(), null));
      assertRefused(server, messages, "a stream holds only one schema message");
    }
  }

  @Test
  void recordBatchInPlaceOfTheSchemaIsRefused() throws Exception {
    try (TestServer server = TestServer.start(data)) {
      List<ArrowFiles.RawMessage> stream = stream(ArrowFiles.Spec.stream(1, 10));
      ArrowFiles.RawMessage batch = stream.get(stream.size() - 1);
      assertRefused(server, List.of(data(pathDescriptor("bad"), batch.header(), batch.body())),
          "the first message must be a schema");
    }
  }

  @Test
  void dictionaryForAnIdTheSchemaDoesNotUseIsRefused() throws Exception {
    try (TestServer server = TestServer.start(data)) {
      // The mixed table's dictionary has id 7; the ArrowFiles schema only uses id 5.
      Path other = TestTables.writeMixed(allocator, scratch.resolve("mixed.arrows"), 1, 10, true);
      ArrowFiles.RawMessage foreignDictionary = ArrowFiles.messages(Files.readAllBytes(other)).get(1);
      List<Flight.FlightData> messages = upload(pathDescriptor("bad"), ArrowFiles.Spec.stream(1, 10));
      messages.add(data(null, foreignDictionary.header(), foreignDictionary.body()));
      assertRefused(server, messages, "dictionary id 7 is not used by any field of the schema");
    }
  }

  @Test
  void streamWithoutDescriptorIsRefused() throws Exception {
    try (TestServer server = TestServer.start(data)) {
      List<Flight.FlightData> messages = upload(null, ArrowFiles.Spec.stream(1, 10));
      assertRefused(server, messages, "must carry a descriptor");
    }
  }

  @Test
  void streamEndingBeforeItsSchemaIsRefused() throws Exception {
    try (TestServer server = TestServer.start(data)) {
      assertRefused(server, List.of(data(pathDescriptor("bad"), null, null)), "ended before a schema message");
      assertRefused(server, List.of(), "ended before a schema message");
    }
  }

  @Test
  void badCommandDescriptorsAreRefused() throws Exception {
    try (TestServer server = TestServer.start(data)) {
      for (String[] c : new String[][] {
          {"{\"dataset\": \"bad\", \"mode\": \"upsert\"}", "\"mode\" in upload command for dataset 'bad' must be one of \"create\", \"overwrite\", \"append\", not \"upsert\""},
          {"{\"dataset\": \"bad\", \"compression\": \"brotli\"}", "\"compression\" in upload command for dataset 'bad' must be one of"},
          {"{\"dataset\": \"bad\", \"colour\": \"red\"}", "unknown key \"colour\""},
          {"{\"mode\": \"append\"}", "needs \"dataset\""},
          {"{\"dataset\": \".quiver-uploads/bad\"}", "reserved"}}) {
        Flight.FlightDescriptor descriptor = Flight.FlightDescriptor.newBuilder()
            .setType(Flight.FlightDescriptor.DescriptorType.CMD).setCmd(ByteString.copyFromUtf8(c[0])).build();
        assertRefused(server, upload(descriptor, ArrowFiles.Spec.stream(1, 5)), c[1]);
      }
      assertRefused(server, upload(pathDescriptor(), ArrowFiles.Spec.stream(1, 5)), "no segments");
    }
  }

  @Test
  void uploadOverTheSizeLimitIsResourceExhausted() throws Exception {
    ServerConfig config = ServerConfig.forTesting(data).withUploadLimits(new UploadLimits(16 * 1024, 0));
    try (TestServer server = TestServer.start(config)) {
      assertThat(rawPut(server, upload(pathDescriptor("small"), ArrowFiles.Spec.stream(1, 10))).status().getCode())
          .isEqualTo(Status.Code.OK);
      PutCollector.Outcome outcome = rawPut(server, upload(pathDescriptor("big"), ArrowFiles.Spec.stream(20, 100)));
      assertThat(outcome.status().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(outcome.status().getDescription()).contains("exceeds the server's limit of 16384 bytes");
      awaitStagingEmpty();
      assertThat(files()).containsExactly("small.arrow");
    }
  }

  @Test
  void uploadBelowTheFreeDiskReserveIsResourceExhaustedBeforeAnythingIsStored() throws Exception {
    ServerConfig config = ServerConfig.forTesting(data).withUploadLimits(new UploadLimits(1L << 40, Long.MAX_VALUE));
    try (TestServer server = TestServer.start(config)) {
      PutCollector.Outcome outcome = rawPut(server, upload(pathDescriptor("new"), ArrowFiles.Spec.stream(1, 10)));
      assertThat(outcome.status().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(outcome.status().getDescription()).contains("below the configured reserve");
      assertThat(outcome.acks()).isEmpty();
      awaitStagingEmpty();
      assertThat(files()).isEmpty();
    }
  }

  @Test
  void cancelledRawUploadLeavesNothing() throws Exception {
    try (TestServer server = TestServer.start(data)) {
      PutCollector collector = new PutCollector();
      CompletableFuture<Void> firstAck = new CompletableFuture<>();
      StreamObserver<Flight.FlightData> requests = stub(server).doPut(new StreamObserver<>() {
        @Override
        public void onNext(Flight.PutResult result) {
          collector.onNext(result);
          firstAck.complete(null);
        }

        @Override
        public void onError(Throwable t) {
          collector.onError(t);
        }

        @Override
        public void onCompleted() {
          collector.onCompleted();
        }
      });
      List<Flight.FlightData> messages = upload(pathDescriptor("cancelled"), ArrowFiles.Spec.stream(3, 10));
      for (Flight.FlightData message : messages.subList(0, 3)) { // schema, dictionary, first batch
        requests.onNext(message);
      }
      firstAck.get(30, TimeUnit.SECONDS);
      assertThat(staging()).as("the upload is under way").hasSize(1);
      ((ClientCallStreamObserver<Flight.FlightData>) requests).cancel("the client changed its mind", null);
      assertThat(collector.await().status().getCode()).isEqualTo(Status.Code.CANCELLED);
      awaitStagingEmpty();
      assertThat(files()).isEmpty();
      assertThat(server.server().catalog().names()).isEmpty();
    }
  }

  @Test
  void aStreamThatReplacesItsDictionaryIsStoredAsPartsAndServedWithTheRightValues() throws Exception {
    // An IPC stream may replace a dictionary between batches; an IPC file cannot (one dictionary
    // per id). The upload becomes one part file per dictionary version, published together.
    ArrowFiles.Spec spec = ArrowFiles.Spec.stream(4, 10).replacingDictionary();
    try (TestServer server = TestServer.start(data)) {
      PutCollector.Outcome outcome = rawPut(server, upload(pathDescriptor("replaced"), spec));
      assertThat(outcome.status().getCode()).as(outcome.status().toString()).isEqualTo(Status.Code.OK);
      JsonNode last = JSON.readTree(outcome.acks().get(outcome.acks().size() - 1));
      assertThat(last.get("parts").asInt()).isEqualTo(2);
      assertThat(last.get("batches").asInt()).isEqualTo(4);
      assertThat(last.get("rows").asInt()).isEqualTo(40);
      assertThat(files()).containsExactly("replaced.parts", "replaced.parts/part-000000.arrow",
          "replaced.parts/part-000001.arrow");

      // Each part is a standalone IPC file decoding to its own batches...
      List<List<List<Object>>> stored = new ArrayList<>();
      for (String part : List.of("part-000000.arrow", "part-000001.arrow")) {
        stored.addAll(ArrowFiles.read(allocator, Files.readAllBytes(data.resolve("replaced.parts").resolve(part)))
            .batches());
      }
      assertThat(stored).isEqualTo(ArrowFiles.expected(spec));
      // ...and the dataset is served as one stream whose dictionaries change where they did.
      List<List<Object>> expected = new ArrayList<>();
      ArrowFiles.select(ArrowFiles.expected(spec), List.of("id", "category")).forEach(expected::addAll);
      FlightReads.Result served = FlightReads.read(server.client(),
          "{\"dataset\": \"replaced\", \"columns\": [\"id\", \"category\"]}");
      assertThat(served.rows()).as("values served").isEqualTo(expected);
      awaitStagingEmpty();
    }
  }

  @Test
  void aDictionaryReplacedBeforeAnyBatchUsedItLeavesNoEmptyPart() throws Exception {
    ArrowFiles.Spec spec = ArrowFiles.Spec.stream(4, 10).replacingDictionary();
    List<ArrowFiles.RawMessage> messages = stream(spec);
    List<Integer> dictionaries = new ArrayList<>();
    for (int i = 0; i < messages.size(); i++) {
      if (Message.getRootAsMessage(ByteBuffer.wrap(messages.get(i).header()).order(ByteOrder.LITTLE_ENDIAN))
          .headerType() == org.apache.arrow.flatbuf.MessageHeader.DictionaryBatch) {
        dictionaries.add(i);
      }
    }
    assertThat(dictionaries).as("the spec sends two dictionaries").hasSize(2);
    int second = dictionaries.get(1);
    try (TestServer server = TestServer.start(data)) {
      // schema, first dictionary, second dictionary, the batches after it: the first is never used.
      List<Flight.FlightData> early = new ArrayList<>();
      early.add(data(pathDescriptor("early"), messages.get(0).header(), messages.get(0).body()));
      early.add(data(null, messages.get(1).header(), messages.get(1).body()));
      for (ArrowFiles.RawMessage m : messages.subList(second, messages.size())) {
        early.add(data(null, m.header(), m.body()));
      }
      assertThat(rawPut(server, early).status().getCode()).isEqualTo(Status.Code.OK);
      // schema and everything up to and including the second dictionary: the stream ends before using it.
      List<Flight.FlightData> late = new ArrayList<>();
      for (ArrowFiles.RawMessage m : messages.subList(0, second + 1)) {
        late.add(data(late.isEmpty() ? pathDescriptor("late") : null, m.header(), m.body()));
      }
      assertThat(rawPut(server, late).status().getCode()).isEqualTo(Status.Code.OK);

      assertThat(files()).containsExactly("early.arrow", "late.arrow");
      List<List<List<Object>>> expected = ArrowFiles.expected(spec);
      int firstHalf = second - 2; // batches sent before the second dictionary
      assertThat(ArrowFiles.read(allocator, Files.readAllBytes(data.resolve("early.arrow"))).batches())
          .isEqualTo(expected.subList(firstHalf, expected.size()));
      assertThat(ArrowFiles.read(allocator, Files.readAllBytes(data.resolve("late.arrow"))).batches())
          .isEqualTo(expected.subList(0, firstHalf));
      awaitStagingEmpty();
    }
  }
}
