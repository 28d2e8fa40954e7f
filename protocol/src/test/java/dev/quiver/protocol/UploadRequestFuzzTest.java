package dev.quiver.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * The command descriptor of a DoPut, as arbitrary bytes: either an {@link UploadRequest} or a
 * {@link ProtocolException}, and a parsed request reads back the same from its own JSON form (the
 * form clients build commands with).
 */
class UploadRequestFuzzTest {

  @FuzzTest
  @DictionaryEntries({"{\"dataset\": \"", "\"mode\": \"", "\"compression\": \"", "append", "overwrite", "create",
      "zstd", "lz4", "none", "\\u", "\\ud800", ".."})
  void parseCommand(byte[] command) {
    UploadRequest request;
    try {
      request = UploadRequest.parseCommand(command);
    } catch (ProtocolException e) {
      assertThat(e.getMessage()).as("what the client is told").isNotBlank();
      return;
    }
    assertThat(UploadRequest.parseCommand(request.toJson().getBytes(StandardCharsets.UTF_8))).isEqualTo(request);
  }
}
