package dev.quiver.client.upload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.client.ipc.IpcMessage;
import dev.quiver.client.ipc.IpcMessage.Kind;
import dev.quiver.server.ipc.ArrowFiles;
import dev.quiver.server.ipc.ArrowFiles.Spec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalIpcFileTest {
  @TempDir Path dir;

  private static List<LocalIpcFile.Message> messagesOf(Path file) throws IOException {
    try (LocalIpcFile local = LocalIpcFile.open(file)) {
      return local.messages();
    }
  }

  private static List<Kind> kinds(List<LocalIpcFile.Message> messages) {
    return messages.stream().map(m -> m.info().kind()).toList();
  }

  @Test
  void aFileGivesSchemaDictionariesThenBatchesFromItsFooter() throws Exception {
    Path file = ArrowFiles.write(dir.resolve("f.arrow"), Spec.file(3, 20));
    List<LocalIpcFile.Message> messages = messagesOf(file);

    assertThat(kinds(messages)).containsExactly(Kind.SCHEMA, Kind.DICTIONARY_BATCH, Kind.RECORD_BATCH,
        Kind.RECORD_BATCH, Kind.RECORD_BATCH);
    assertThat(messages.get(2).info().rows()).isEqualTo(20);
    byte[] bytes = Files.readAllBytes(file);
    for (LocalIpcFile.Message m : messages) {
      assertThat(m.body().remaining()).isEqualTo((int) m.info().bodyLength());
      // The body is the file's bytes just before the message's end.
      ByteBuffer expected = ByteBuffer.wrap(bytes, (int) (m.end() - m.info().bodyLength()), m.body().remaining());
      assertThat(m.body().duplicate()).isEqualTo(expected);
      assertThat(IpcMessage.of(m.header())).isEqualTo(m.info());
    }
  }

  @Test
  void aStreamGivesItsMessagesAsStoredIncludingAReplacedDictionary() throws Exception {
    Path file = ArrowFiles.write(dir.resolve("s.arrows"), Spec.stream(3, 20).replacingDictionaryAt(1));
    List<LocalIpcFile.Message> messages = messagesOf(file);

    assertThat(kinds(messages)).containsExactly(Kind.SCHEMA, Kind.DICTIONARY_BATCH, Kind.RECORD_BATCH,
        Kind.DICTIONARY_BATCH, Kind.RECORD_BATCH, Kind.RECORD_BATCH);
    assertThat(messages.get(messages.size() - 1).end()).as("the end-of-stream marker follows")
        .isEqualTo(Files.size(file) - 8);
  }

  @Test
  void aStreamWithoutEndOfStreamMarkerIsComplete() throws Exception {
    Path file = ArrowFiles.write(dir.resolve("s.arrows"), Spec.stream(2, 20));
    byte[] bytes = Files.readAllBytes(file);
    Path cut = Files.write(dir.resolve("no-eos.arrows"), Arrays.copyOf(bytes, bytes.length - 8));
    assertThat(kinds(messagesOf(cut))).containsExactly(Kind.SCHEMA, Kind.DICTIONARY_BATCH, Kind.RECORD_BATCH,
        Kind.RECORD_BATCH);
  }

  @Test
  void aPreOneDotZeroStreamWithoutContinuationMarkersIsRead() throws Exception {
    Path file = ArrowFiles.write(dir.resolve("legacy.arrows"), Spec.stream(2, 10).withoutDictionary(),
        ArrowFiles.LEGACY);
    byte[] bytes = Files.readAllBytes(file);
    assertThat(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt(0)).as("no marker").isPositive();
    assertThat(Arrays.copyOfRange(bytes, bytes.length - 4, bytes.length)).as("4-byte end of stream")
        .containsExactly(0, 0, 0, 0);
    List<LocalIpcFile.Message> messages = messagesOf(file);
    assertThat(kinds(messages)).containsExactly(Kind.SCHEMA, Kind.RECORD_BATCH, Kind.RECORD_BATCH);
    assertThat(messages.get(2).end()).isEqualTo(bytes.length - 4);
  }

  @Test
  void anEmptyFileIsRefused() throws Exception {
    Path empty = Files.write(dir.resolve("empty.arrow"), new byte[0]);
    assertThatThrownBy(() -> messagesOf(empty)).isInstanceOf(IOException.class)
        .hasMessageContaining("empty.arrow").hasMessageContaining("schema");
  }

  @Test
  void aFileCutBeforeItsFooterIsRefused() throws Exception {
    byte[] bytes = Files.readAllBytes(ArrowFiles.write(dir.resolve("f.arrow"), Spec.file(3, 20)));
    for (int length : List.of(8, 20, bytes.length / 2, bytes.length - 1)) {
      Path cut = Files.write(dir.resolve("cut.arrow"), Arrays.copyOf(bytes, length));
      assertThatThrownBy(() -> messagesOf(cut)).as("cut to %d bytes", length).isInstanceOf(IOException.class)
          .hasMessageContaining("cut.arrow").hasMessageContaining("truncated");
    }
  }

  @Test
  void anImpossibleFooterLengthIsRefused() throws Exception {
    byte[] bytes = Files.readAllBytes(ArrowFiles.write(dir.resolve("f.arrow"), Spec.file(1, 5)));
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(bytes.length - 10, bytes.length);
    Path bad = Files.write(dir.resolve("bad.arrow"), bytes);
    assertThatThrownBy(() -> messagesOf(bad)).isInstanceOf(IOException.class).hasMessageContaining("footer length");
  }

  @Test
  void aStreamCutMidMessageIsRefused() throws Exception {
    byte[] bytes = Files.readAllBytes(ArrowFiles.write(dir.resolve("s.arrows"), Spec.stream(2, 50)));
    Path cut = Files.write(dir.resolve("cut.arrows"), Arrays.copyOf(bytes, bytes.length - 100));
    assertThatThrownBy(() -> messagesOf(cut)).isInstanceOf(IOException.class).hasMessageContaining("cut.arrows")
        .hasMessageContaining("byte");
  }

  @Test
  void textAndGarbageAreRefused() throws Exception {
    Path csv = Files.writeString(dir.resolve("data.csv"), "id,name\n1,a\n");
    assertThatThrownBy(() -> messagesOf(csv)).isInstanceOf(IOException.class)
        .hasMessageContaining("not a readable Arrow IPC file");
    Random random = new Random(11);
    for (int i = 0; i < 200; i++) {
      byte[] bytes = new byte[random.nextInt(300)];
      random.nextBytes(bytes);
      Path garbage = Files.write(dir.resolve("garbage"), bytes);
      assertThatThrownBy(() -> messagesOf(garbage)).isInstanceOf(IOException.class);
    }
  }
}
