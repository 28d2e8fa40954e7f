package dev.quiver.server.ipc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.quiver.server.ipc.ArrowFiles.RawMessage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a DoPut stores, at the level of IPC messages: a schema header, then dictionary and record
 * batch headers with their bodies ({@link FuzzedIpcMessages}: real, damaged or arbitrary).
 * {@link MessageValidator} may refuse any of them, with an {@link IpcFormatException} only; what it accepts is written as an upload writes it (compressed on
 * request by {@link BatchCompressor}, whose output must pass the same checks), and the resulting file
 * must then index and serve ({@link IpcFileCheck}): an upload the server accepted is a dataset it can
 * read back.
 */
class MessageValidatorFuzzTest {
  private static final int MAX_MESSAGES = 6;
  private static final BufferAllocator ALLOCATOR = new RootAllocator();

  @TempDir static Path dir;

  @FuzzTest
  void checksUploadedMessages(FuzzedDataProvider data) throws IOException {
    IpcSchema schema;
    try {
      schema = MessageValidator.schema(FuzzedIpcMessages.next(data).header());
    } catch (IpcFormatException e) {
      assertThat(e.getMessage()).isNotBlank();
      return;
    }
    Path file = dir.resolve("upload.arrow");
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      IpcFileWriter writer = new IpcFileWriter(channel, schema);
      int messages = data.consumeInt(0, MAX_MESSAGES);
      for (int i = 0; i < messages; i++) {
        store(writer, schema, FuzzedIpcMessages.next(data), data);
      }
      writer.finish();
    }
    assertThat(IpcFileCheck.check(file)).as("an accepted upload reads back").isEqualTo(IpcFileCheck.Outcome.INDEXED);
    assertThat(ALLOCATOR.getAllocatedMemory()).as("Arrow memory left by compression").isZero();
  }

  private static void store(IpcFileWriter writer, IpcSchema schema, RawMessage m, FuzzedDataProvider data)
      throws IOException {
    MessageValidator.Checked checked;
    try {
      checked = MessageValidator.check(schema, m.header(), m.body().length, "message");
    } catch (IpcFormatException e) {
      assertThat(e.getMessage()).isNotBlank();
      return;
    }
    List<ByteBuffer> body = List.of(ByteBuffer.wrap(m.body()));
    if (checked.kind() == IpcMessage.Kind.DICTIONARY_BATCH) {
      writer.writeDictionary(m.header(), body, m.body().length);
    } else if (!checked.compressed() && data.consumeBoolean()) {
      BatchCompressor.Compressed compressed = new BatchCompressor(ALLOCATOR, data.consumeBoolean())
          .compress(m.header(), ByteBuffer.wrap(m.body()), "message");
      assertThatCode(() -> MessageValidator.check(schema, compressed.header(), compressed.bodyLength(), "compressed"))
          .doesNotThrowAnyException();
      writer.writeBatch(compressed.header(), compressed.body(), compressed.bodyLength());
    } else {
      writer.writeBatch(m.header(), body, m.body().length);
    }
  }
}
