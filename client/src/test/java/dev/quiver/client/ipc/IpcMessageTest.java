package dev.quiver.client.ipc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.flatbuffers.FlatBufferBuilder;
import dev.quiver.server.ipc.ArrowFiles;
import dev.quiver.server.ipc.ArrowFiles.Spec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.MetadataVersion;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.ReadChannel;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowDictionaryBatch;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageMetadataResult;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IpcMessageTest {
  @TempDir Path dir;

  /** The flatbuffer headers of every message of an IPC stream file, with their body lengths. */
  private static List<MessageMetadataResult> headers(Path stream) throws IOException {
    List<MessageMetadataResult> out = new ArrayList<>();
    try (FileChannel channel = FileChannel.open(stream)) {
      ReadChannel in = new ReadChannel(channel);
      MessageMetadataResult message;
      while ((message = MessageSerializer.readMessage(in)) != null) {
        out.add(message);
        channel.position(channel.position() + message.getMessageBodyLength());
      }
    }
    return out;
  }

  @Test
  void readsWhatEachMessageOfAStreamIs() throws Exception {
    Path stream = ArrowFiles.write(dir.resolve("s.arrows"), Spec.stream(3, 10).replacingDictionaryAt(2));
    List<MessageMetadataResult> messages = headers(stream);
    List<IpcMessage> parsed = messages.stream().map(m -> IpcMessage.of(m.getMessageBuffer())).toList();

    assertThat(parsed).extracting(IpcMessage::kind).containsExactly(IpcMessage.Kind.SCHEMA,
        IpcMessage.Kind.DICTIONARY_BATCH, IpcMessage.Kind.RECORD_BATCH, IpcMessage.Kind.RECORD_BATCH,
        IpcMessage.Kind.DICTIONARY_BATCH, IpcMessage.Kind.RECORD_BATCH);
    assertThat(parsed.get(0)).isEqualTo(new IpcMessage(IpcMessage.Kind.SCHEMA, 0, -1, false, 0));
    assertThat(parsed.get(1).dictionaryId()).isEqualTo(ArrowFiles.DICTIONARY_ID);
    assertThat(parsed.get(1).rows()).as("5 colours").isEqualTo(5);
    assertThat(parsed.get(1).delta()).isFalse();
    assertThat(parsed.get(4).rows()).as("4 winds").isEqualTo(4);
    assertThat(parsed.get(2).rows()).isEqualTo(10);
    assertThat(parsed.get(2).dictionaryId()).isEqualTo(-1);
    for (int i = 0; i < parsed.size(); i++) {
      assertThat(parsed.get(i).bodyLength()).isEqualTo(messages.get(i).getMessageBodyLength());
    }
  }

  @Test
  void readsADeltaDictionary() throws Exception {
    try (BufferAllocator allocator = new RootAllocator();
         VarCharVector values = new VarCharVector("d", allocator)) {
      values.allocateNew();
      values.setSafe(0, "x".getBytes(StandardCharsets.UTF_8));
      values.setSafe(1, "y".getBytes(StandardCharsets.UTF_8));
      values.setValueCount(2);
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (VectorSchemaRoot root = VectorSchemaRoot.of(values);
           ArrowRecordBatch batch = new VectorUnloader(root).getRecordBatch();
           ArrowDictionaryBatch delta = new ArrowDictionaryBatch(42, batch, true)) {
        MessageSerializer.serialize(new WriteChannel(Channels.newChannel(bytes)), delta);
      }
      ByteBuffer framed = ByteBuffer.wrap(bytes.toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
      int length = framed.getInt(4);
      IpcMessage message = IpcMessage.of(framed.position(8).slice().limit(length));
      assertThat(message.kind()).isEqualTo(IpcMessage.Kind.DICTIONARY_BATCH);
      assertThat(message.dictionaryId()).isEqualTo(42);
      assertThat(message.delta()).isTrue();
      assertThat(message.rows()).isEqualTo(2);
      assertThat(message.bodyLength()).isPositive();
    }
  }

  @Test
  void doesNotMoveTheBufferItReads() throws Exception {
    Path stream = ArrowFiles.write(dir.resolve("s.arrows"), Spec.stream(1, 3));
    ByteBuffer header = headers(stream).get(0).getMessageBuffer();
    int position = header.position();
    IpcMessage.of(header);
    IpcMessage.of(header);
    assertThat(header.position()).isEqualTo(position);
  }

  @Test
  void framingPadsTheHeaderSoTheBodyIsAligned() {
    for (int length = 1; length <= 40; length++) {
      byte[] header = new byte[length];
      for (int i = 0; i < length; i++) {
        header[i] = (byte) (i + 1);
      }
      ByteBuffer source = ByteBuffer.wrap(header);
      ByteBuffer framed = IpcMessage.framed(source).order(ByteOrder.LITTLE_ENDIAN);

      assertThat(source.position()).isZero();
      assertThat(framed.position()).isZero();
      assertThat(framed.remaining() % 8).isZero();
      assertThat(framed.remaining()).isBetween(8 + length, 8 + length + 7);
      assertThat(framed.getInt(0)).isEqualTo(IpcMessage.CONTINUATION);
      assertThat(framed.getInt(4)).as("the length prefix counts the padding").isEqualTo(framed.remaining() - 8);
      for (int i = 0; i < length; i++) {
        assertThat(framed.get(8 + i)).isEqualTo(header[i]);
      }
      for (int i = 8 + length; i < framed.remaining(); i++) {
        assertThat(framed.get(i)).as("padding").isZero();
      }
    }
  }

  @Test
  void framingAReadMessageGivesWhatArrowJavaWrites() throws Exception {
    Path stream = ArrowFiles.write(dir.resolve("s.arrows"), Spec.stream(1, 3));
    MessageMetadataResult schema = headers(stream).get(0);
    ByteBuffer framed = IpcMessage.framed(schema.getMessageBuffer());
    byte[] file = java.nio.file.Files.readAllBytes(stream);
    assertThat(framed.remaining()).isEqualTo(schema.getMessageLength() + 8);
    assertThat(ByteBuffer.wrap(file, 0, framed.remaining())).isEqualTo(framed);
  }

  @Test
  void alignsToEightBytes() {
    assertThat(IpcMessage.align8(0)).isZero();
    assertThat(IpcMessage.align8(1)).isEqualTo(8);
    assertThat(IpcMessage.align8(8)).isEqualTo(8);
    assertThat(IpcMessage.align8(9)).isEqualTo(16);
    assertThat(IpcMessage.align8(5_000_000_001L)).isEqualTo(5_000_000_008L);
    assertThat(IpcMessage.align8(1L << 40)).isEqualTo(1L << 40);
  }

  private static ByteBuffer message(byte headerType) {
    FlatBufferBuilder builder = new FlatBufferBuilder();
    int message = Message.createMessage(builder, MetadataVersion.V5, headerType, 0, 0, 0);
    builder.finish(message);
    return builder.dataBuffer();
  }

  @Test
  void refusesOtherMessageTypes() {
    assertThatThrownBy(() -> IpcMessage.of(message(MessageHeader.Tensor)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unexpected IPC message type");
    assertThatThrownBy(() -> IpcMessage.of(message(MessageHeader.SparseTensor)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> IpcMessage.of(message(MessageHeader.NONE)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void refusesABatchMessageWithoutItsHeader() {
    // Says "record batch" but carries no RecordBatch table.
    assertThatThrownBy(() -> IpcMessage.of(message(MessageHeader.RecordBatch)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> IpcMessage.of(message(MessageHeader.DictionaryBatch)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void refusesTruncatedHeaders() {
    assertThatThrownBy(() -> IpcMessage.of(ByteBuffer.allocate(0))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unreadable");
    assertThatThrownBy(() -> IpcMessage.of(ByteBuffer.allocate(3))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> IpcMessage.of(ByteBuffer.wrap(new byte[] {-1, -1, -1, -1, 0, 0, 0, 0})))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void garbageIsRefusedWithAnIllegalArgumentOrRead() {
    Random random = new Random(7);
    for (int i = 0; i < 5_000; i++) {
      byte[] bytes = new byte[random.nextInt(64)];
      random.nextBytes(bytes);
      try {
        IpcMessage.of(ByteBuffer.wrap(bytes)); // a lucky buffer may parse; that is fine
      } catch (IllegalArgumentException expected) {
        // refused, as documented
      }
    }
    assertThat(IpcMessage.of(message(MessageHeader.Schema)).kind()).isEqualTo(IpcMessage.Kind.SCHEMA);
  }
}
