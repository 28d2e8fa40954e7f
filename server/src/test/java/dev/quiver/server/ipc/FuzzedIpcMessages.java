package dev.quiver.server.ipc;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import dev.quiver.server.ipc.ArrowFiles.RawMessage;
import java.util.ArrayList;
import java.util.List;

/**
 * IPC messages (flatbuffer header and body, as a DoPut carries them) chosen by the fuzzer's input:
 * a real one from {@link RealIpcFiles}' streams (schemas, dictionaries, plain and compressed
 * batches), a damaged one ({@link IpcMutator}) or arbitrary header bytes; with the real body, zeros
 * of the length the header declares (so a damaged header still passes the body-length check and
 * reaches the deeper ones), or arbitrary bytes.
 */
public final class FuzzedIpcMessages {
  private static final List<RawMessage> REAL_MESSAGES = realMessages();
  private static final int MAX_ARBITRARY_BYTES = 1024;
  private static final int MAX_ZERO_BODY = 1 << 16;

  private FuzzedIpcMessages() {}

  public static RawMessage next(FuzzedDataProvider data) {
    RawMessage real = REAL_MESSAGES.get(data.consumeInt(0, REAL_MESSAGES.size() - 1));
    byte[] header = switch (data.consumeInt(0, 2)) {
      case 0 -> real.header();
      case 1 -> IpcMutator.mutate(real.header(), data);
      default -> data.consumeBytes(data.consumeInt(0, MAX_ARBITRARY_BYTES));
    };
    byte[] body = switch (data.consumeInt(0, 2)) {
      case 0 -> real.body();
      case 1 -> new byte[declaredBodyLength(header)];
      default -> data.consumeBytes(data.consumeInt(0, MAX_ARBITRARY_BYTES));
    };
    return new RawMessage(header, body);
  }

  /** The body length the header declares, if it parses and is small; else 0. */
  private static int declaredBodyLength(byte[] header) {
    try {
      long length = MessageReader.parse(header, "header").bodyLength();
      return length <= MAX_ZERO_BODY ? (int) length : 0;
    } catch (IpcFormatException e) {
      return 0;
    }
  }

  /** Every message of the seed streams with continuation markers (the legacy layout has none). */
  private static List<RawMessage> realMessages() {
    List<RawMessage> messages = new ArrayList<>();
    for (byte[] file : RealIpcFiles.load()) {
      if (!ArrowFiles.isFileFormat(file) && file[0] == (byte) 0xFF) {
        messages.addAll(ArrowFiles.messages(file));
      }
    }
    return List.copyOf(messages);
  }
}
