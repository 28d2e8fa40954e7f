package dev.quiver.server.ipc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.server.ipc.ArrowFiles.Codec;
import dev.quiver.server.ipc.ArrowFiles.Spec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.compression.CommonsCompressionFactory;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.util.ByteArrayReadableSeekableByteChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class IpcIndexerTest extends LeakCheckedTest {
  static Stream<Spec> specs() {
    return Stream.of(
        Spec.file(3, 10),
        Spec.stream(3, 10),
        Spec.stream(3, 10).withoutEndOfStream(),
        Spec.file(4, 17).compressed(Codec.LZ4_FRAME),
        Spec.file(2, 33).compressed(Codec.ZSTD),
        Spec.stream(3, 9).compressed(Codec.LZ4_FRAME),
        Spec.stream(2, 12).compressed(Codec.ZSTD).withoutEndOfStream(),
        Spec.stream(4, 8).replacingDictionary(),
        Spec.file(1, 1),
        Spec.file(2, 0),
        Spec.stream(2, 0),
        Spec.file(1, 1000));
  }

  /** An index of {@code bytes}, mapped from a file; the mapping is released before returning. */
  private IpcIndex index(byte[] bytes) throws IOException {
    Path file = Files.write(dir.resolve("t-" + System.nanoTime()), bytes);
    MappedFile mapped = MappedFile.map(file);
    try {
      return IpcIndexer.index(mapped);
    } finally {
      mapped.release();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("specs")
  void indexCountsWhatWasWritten(Spec spec) throws IOException {
    byte[] bytes = ArrowFiles.bytes(allocator, spec);
    IpcIndex index = index(bytes);

    assertThat(index.format()).isEqualTo(spec.stream() ? IpcFormat.STREAM : IpcFormat.FILE);
    assertThat(index.batchCount()).isEqualTo(spec.batches());
    assertThat(index.totalRows()).isEqualTo((long) spec.batches() * spec.rows());
    assertThat(index.compressed()).isEqualTo(spec.codec() != Codec.NONE && spec.batches() > 0);
    assertThat(index.schema().fieldNames()).isEqualTo(ArrowFiles.COLUMNS);
    assertThat(index.schema().toArrow().getFields()).isEqualTo(ArrowFiles.schema().getFields());
    assertThat(index.schema().toArrow().getCustomMetadata()).containsEntry("origin", "quiver-ipc-tests");
    assertThat(IpcIndexer.dictionaryIds(index.schema())).containsExactly(ArrowFiles.DICTIONARY_ID);

    long bytesTotal = index.schemaHeader().length;
    for (int b = 0; b < index.batchCount(); b++) {
      IpcMessage batch = index.batch(b);
      assertThat(batch.isRecordBatch()).isTrue();
      assertThat(batch.kind()).isEqualTo(IpcMessage.Kind.RECORD_BATCH);
      assertThat(batch.rows()).isEqualTo(spec.rows());
      assertThat(batch.dictionaryId()).isEqualTo(-1);
      assertThat(batch.bodyOffset()).isNotNegative();
      assertThat(batch.bodyOffset() + batch.bodyLength()).isLessThanOrEqualTo(bytes.length);
      assertThat(batch.bodyOffset() % 8).as("body of batch %d is 8-byte aligned", b).isZero();
      Message message = Message.getRootAsMessage(java.nio.ByteBuffer.wrap(batch.header()));
      assertThat(message.headerType()).isEqualTo(MessageHeader.RecordBatch);
      assertThat(message.bodyLength()).isEqualTo(batch.bodyLength());
      RecordBatch rb = (RecordBatch) message.header(new RecordBatch());
      assertThat(rb.length()).isEqualTo(spec.rows());
      assertThat(rb.compression() != null).isEqualTo(spec.codec() != Codec.NONE);
    }
    for (IpcMessage m : index.messages()) {
      bytesTotal += m.header().length + m.bodyLength();
      assertThat(m.wireBytes()).isEqualTo(m.header().length + m.bodyLength());
    }
    assertThat(index.totalBytes()).isEqualTo(bytesTotal);

    List<IpcMessage> dictionaries = index.messages().stream().filter(m -> !m.isRecordBatch()).toList();
    for (IpcMessage d : dictionaries) {
      assertThat(d.kind()).isEqualTo(IpcMessage.Kind.DICTIONARY_BATCH);
      assertThat(d.dictionaryId()).isEqualTo(ArrowFiles.DICTIONARY_ID);
      assertThat(d.delta()).isFalse();
      assertThat(d.bodyOffset() + d.bodyLength()).isLessThanOrEqualTo(bytes.length);
    }
    if (spec.batches() > 0) {
      assertThat(index.messages().get(0).isRecordBatch()).as("dictionary comes before the first batch").isFalse();
      assertThat(dictionaries).hasSize(spec.replaceDictionary() ? 2 : 1);
      assertThat(dictionaries.get(0).rows()).isEqualTo(ArrowFiles.COLORS.length);
      if (spec.replaceDictionary()) {
        assertThat(dictionaries.get(1).rows()).isEqualTo(ArrowFiles.WINDS.length);
        // the replacement sits right before the first batch that uses it
        int position = index.messages().indexOf(dictionaries.get(1));
        assertThat(index.messages().get(position + 1)).isSameAs(index.batch(spec.switchBatch()));
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("specs")
  void indexedMessagesDecodeToWhatWasWritten(Spec spec) throws IOException {
    byte[] bytes = ArrowFiles.bytes(allocator, spec);
    // First make sure the helper and arrow-java agree about the file itself.
    ArrowFiles.Table original = ArrowFiles.read(allocator, bytes);
    assertThat(original.columns()).isEqualTo(ArrowFiles.COLUMNS);
    assertThat(original.batches()).isEqualTo(ArrowFiles.expected(spec));

    Path file = Files.write(dir.resolve("data"), bytes);
    MappedFile mapped = MappedFile.map(file);
    try {
      IpcIndex index = IpcIndexer.index(mapped);
      ArrowFiles.Table served = ArrowFiles.read(allocator, ArrowFiles.reassemble(mapped, index, 0, index.batchCount()));
      assertThat(served.columns()).isEqualTo(ArrowFiles.COLUMNS);
      assertThat(served.batches()).isEqualTo(ArrowFiles.expected(spec));
    } finally {
      mapped.release();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("specs")
  void everyBatchRangeDecodesOnItsOwn(Spec spec) throws IOException {
    Path file = ArrowFiles.write(allocator, dir.resolve("data"), spec);
    List<List<List<Object>>> expected = ArrowFiles.expected(spec);
    MappedFile mapped = MappedFile.map(file);
    try {
      IpcIndex index = IpcIndexer.index(mapped);
      for (int start = 0; start <= index.batchCount(); start++) {
        for (int end = start; end <= index.batchCount(); end++) {
          byte[] stream = ArrowFiles.reassemble(mapped, index, start, end);
          assertThat(ArrowFiles.read(allocator, stream).batches())
              .as("batches [%d, %d)", start, end)
              .isEqualTo(expected.subList(start, end));
        }
      }
    } finally {
      mapped.release();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fileSpecs")
  void fileIndexMatchesTheFooterArrowJavaReads(Spec spec) throws IOException {
    byte[] bytes = ArrowFiles.bytes(allocator, spec);
    IpcIndex index = index(bytes);
    List<ArrowBlock> recordBlocks;
    List<ArrowBlock> dictionaryBlocks;
    try (ArrowFileReader reader = new ArrowFileReader(new ByteArrayReadableSeekableByteChannel(bytes), allocator)) {
      recordBlocks = reader.getRecordBlocks();
      dictionaryBlocks = reader.getDictionaryBlocks();
    }
    assertThat(index.batchCount()).isEqualTo(recordBlocks.size());
    for (int b = 0; b < recordBlocks.size(); b++) {
      ArrowBlock block = recordBlocks.get(b);
      assertThat(index.batch(b).bodyOffset()).isEqualTo(block.getOffset() + block.getMetadataLength());
      assertThat(index.batch(b).bodyLength()).isEqualTo(block.getBodyLength());
    }
    List<IpcMessage> dictionaries = index.messages().stream().filter(m -> !m.isRecordBatch()).toList();
    assertThat(dictionaries).hasSize(dictionaryBlocks.size());
    for (int d = 0; d < dictionaryBlocks.size(); d++) {
      ArrowBlock block = dictionaryBlocks.get(d);
      assertThat(dictionaries.get(d).bodyOffset()).isEqualTo(block.getOffset() + block.getMetadataLength());
      assertThat(dictionaries.get(d).bodyLength()).isEqualTo(block.getBodyLength());
    }
  }

  static Stream<Spec> fileSpecs() {
    return specs().filter(s -> !s.stream());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("specs")
  void eachBatchLoadsOnItsOwnFromHeaderAndBody(Spec spec) throws IOException {
    Path file = ArrowFiles.write(allocator, dir.resolve("data"), spec);
    MappedFile mapped = MappedFile.map(file);
    try (VectorSchemaRoot root = VectorSchemaRoot.create(ArrowFiles.memorySchema(), allocator)) {
      IpcIndex index = IpcIndexer.index(mapped);
      VectorLoader loader = new VectorLoader(root, CommonsCompressionFactory.INSTANCE);
      for (int b = 0; b < index.batchCount(); b++) {
        IpcMessage batch = index.batch(b);
        Message message = Message.getRootAsMessage(java.nio.ByteBuffer.wrap(batch.header()));
        byte[] body = ArrowFiles.body(mapped, batch);
        ArrowBuf buffer = allocator.buffer(Math.max(1, body.length));
        buffer.setBytes(0, body);
        // deserializeRecordBatch hands the body's reference over to the batch it returns
        try (ArrowRecordBatch recordBatch = MessageSerializer.deserializeRecordBatch(message, buffer)) {
          loader.load(recordBatch);
        }
        assertThat(root.getRowCount()).isEqualTo(spec.rows());
        for (int i = 0; i < spec.rows(); i++) {
          List<Object> expected = ArrowFiles.expectedRow(spec, b, i);
          for (int c = 0; c < 5; c++) {
            assertThat(ArrowFiles.normalize(root.getVector(c).getObject(i)))
                .as("batch %d row %d column %s", b, i, ArrowFiles.COLUMNS.get(c))
                .isEqualTo(expected.get(c));
          }
          // the dictionary-encoded column holds indices into the dictionary in force
          Object category = root.getVector(5).getObject(i);
          assertThat(category == null ? null : spec.dictionaryFor(b)[(Integer) category])
              .as("batch %d row %d category", b, i)
              .isEqualTo(expected.get(5));
        }
      }
    } finally {
      mapped.release();
    }
  }

  @Test
  void legacyLayoutWithoutContinuationMarkersAndV4Metadata() throws IOException {
    // Arrow < 0.15 wrote messages as <length><flatbuffer> without the 0xFFFFFFFF marker, metadata V4.
    var legacy = new org.apache.arrow.vector.ipc.message.IpcOption(
        true, org.apache.arrow.vector.types.MetadataVersion.V4);
    for (Spec spec : List.of(Spec.file(3, 6), Spec.file(2, 4).compressed(Codec.LZ4_FRAME))) {
      byte[] bytes = ArrowFiles.bytes(allocator, spec, legacy);
      Path file = Files.write(dir.resolve("legacy-" + spec.batches()), bytes);
      MappedFile mapped = MappedFile.map(file);
      try {
        IpcIndex index = IpcIndexer.index(mapped);
        assertThat(index.batchCount()).as(spec.toString()).isEqualTo(spec.batches());
        assertThat(Message.getRootAsMessage(java.nio.ByteBuffer.wrap(index.batch(0).header())).version())
            .isEqualTo(org.apache.arrow.flatbuf.MetadataVersion.V4);
        ArrowFiles.Table served = ArrowFiles.read(allocator, ArrowFiles.reassemble(mapped, index, 0, spec.batches()));
        assertThat(served.batches()).isEqualTo(ArrowFiles.expected(spec));
      } finally {
        mapped.release();
      }
    }
  }

  @Test
  void streamWithoutEndMarkerIndexesLikeTheSameStreamWithOne() throws IOException {
    Spec spec = Spec.stream(3, 10);
    IpcIndex withMarker = index(ArrowFiles.bytes(allocator, spec));
    IpcIndex withoutMarker = index(ArrowFiles.bytes(allocator, spec.withoutEndOfStream()));
    assertThat(withoutMarker.batchCount()).isEqualTo(withMarker.batchCount());
    assertThat(withoutMarker.totalRows()).isEqualTo(withMarker.totalRows());
    assertThat(withoutMarker.totalBytes()).isEqualTo(withMarker.totalBytes());
    assertThat(withoutMarker.messages()).hasSameSizeAs(withMarker.messages());
    for (int i = 0; i < withMarker.messages().size(); i++) {
      IpcMessage a = withMarker.messages().get(i);
      IpcMessage b = withoutMarker.messages().get(i);
      assertThat(b.header()).isEqualTo(a.header());
      assertThat(b.bodyOffset()).isEqualTo(a.bodyOffset());
      assertThat(b.bodyLength()).isEqualTo(a.bodyLength());
    }
  }

  @Test
  void streamWithNoBatches() throws IOException {
    for (Spec spec : List.of(Spec.stream(0, 5), Spec.stream(0, 5).withoutEndOfStream(), Spec.file(0, 5))) {
      byte[] bytes = ArrowFiles.bytes(allocator, spec);
      IpcIndex index = index(bytes);
      assertThat(index.batchCount()).as(spec.toString()).isZero();
      assertThat(index.totalRows()).isZero();
      assertThat(index.compressed()).isFalse();
      assertThat(index.schema().toArrow().getFields()).isEqualTo(ArrowFiles.schema().getFields());
      assertThat(index.plan(0, 0, ArrowFiles.dictionaryIds()).stream().filter(IpcMessage::isRecordBatch)).isEmpty();
    }
  }

  @Test
  void schemaOnlyStreamOfTheMinimalSize() throws IOException {
    // Just the schema message and nothing else: a valid, empty stream.
    byte[] schemaHeader = ArrowFiles.schemaHeader(ArrowFiles.schema());
    byte[] bytes = new ArrowFiles.StreamBuilder().message(schemaHeader, new byte[0]).unfinished();
    IpcIndex index = index(bytes);
    assertThat(index.format()).isEqualTo(IpcFormat.STREAM);
    assertThat(index.batchCount()).isZero();
    assertThat(index.messages()).isEmpty();
  }

  @Test
  void schemaHeaderIsTheFilesOwnSchemaMessage() throws IOException {
    byte[] bytes = ArrowFiles.bytes(allocator, Spec.stream(1, 3));
    IpcIndex index = index(bytes);
    // the stream starts with: continuation marker, length, then exactly these header bytes
    int length = java.nio.ByteBuffer.wrap(bytes, 4, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt();
    assertThat(index.schemaHeader()).hasSize(length);
    assertThat(index.schemaHeader()).isEqualTo(java.util.Arrays.copyOfRange(bytes, 8, 8 + length));
    Message message = Message.getRootAsMessage(java.nio.ByteBuffer.wrap(index.schemaHeader()));
    assertThat(message.headerType()).isEqualTo(MessageHeader.Schema);
  }

  @Test
  void nestedDictionaryIdsAreCollected() {
    var encoding = new org.apache.arrow.vector.types.pojo.DictionaryEncoding(
        42, false, new org.apache.arrow.vector.types.pojo.ArrowType.Int(32, true));
    Field inner = new Field("v", new org.apache.arrow.vector.types.pojo.FieldType(
        true, org.apache.arrow.vector.types.pojo.ArrowType.Utf8.INSTANCE, encoding), null);
    Field list = new Field("l", org.apache.arrow.vector.types.pojo.FieldType.nullable(
        org.apache.arrow.vector.types.pojo.ArrowType.List.INSTANCE), List.of(inner));
    var schema = new org.apache.arrow.vector.types.pojo.Schema(List.of(list, ArrowFiles.schema().getFields().get(5)));
    assertThat(IpcIndexer.dictionaryIds(ArrowFiles.ipcSchema(schema)))
        .containsExactlyInAnyOrder(42L, ArrowFiles.DICTIONARY_ID);
  }

  @Test
  void nonArrowFileIsRejected() throws IOException {
    for (String text : List.of("hello, this is not arrow", "PAR1....PAR1", "{\"a\": 1}\n")) {
      assertThatThrownBy(() -> index(text.getBytes(StandardCharsets.UTF_8)))
          .isInstanceOf(IpcFormatException.class)
          .hasMessageContaining("not an Arrow IPC file");
    }
  }

  @Test
  void emptyAndTinyFilesAreRejected() throws IOException {
    List<byte[]> inputs = new ArrayList<>();
    inputs.add(new byte[0]);
    inputs.add(new byte[] {'A'});
    inputs.add("ARROW1".getBytes(StandardCharsets.US_ASCII));
    inputs.add("ARROW1\0\0ARROW1".getBytes(StandardCharsets.US_ASCII));
    inputs.add(new byte[] {-1, -1, -1, -1});
    inputs.add(new byte[] {-1, -1, -1, -1, 0, 0, 0, 0});
    inputs.add(new byte[] {-1, -1, -1, -1, 8, 0, 0, 0});
    for (byte[] input : inputs) {
      assertThatThrownBy(() -> index(input))
          .as(new String(input, StandardCharsets.ISO_8859_1))
          .isInstanceOf(IpcFormatException.class)
          .satisfies(e -> assertThat(e.getMessage()).isNotBlank());
    }
  }

  @Test
  void fileWithoutTrailingMagicIsReportedAsIncomplete() throws IOException {
    byte[] bytes = ArrowFiles.bytes(allocator, Spec.file(2, 5));
    byte[] cut = java.util.Arrays.copyOf(bytes, bytes.length - 1);
    assertThatThrownBy(() -> index(cut))
        .isInstanceOf(IpcFormatException.class)
        .hasMessageContaining("no ARROW1 magic at the end");
  }

  @Test
  void truncatedStreamIsReported() throws IOException {
    byte[] bytes = ArrowFiles.bytes(allocator, Spec.stream(2, 50).withoutEndOfStream());
    byte[] cut = java.util.Arrays.copyOf(bytes, bytes.length - 3);
    assertThatThrownBy(() -> index(cut))
        .isInstanceOf(IpcFormatException.class)
        .hasMessageContaining("truncated Arrow stream");
  }
}
