package dev.quiver.client.upload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quiver.client.ServerException;
import dev.quiver.client.UploadResult;
import dev.quiver.client.internal.ProgressCounter;
import java.io.IOException;

/**
 * Reads the server's upload acknowledgements ({@code PutResult.app_metadata} JSON): one per stored
 * batch, {@code {"batches": n, "rows": r}}, then the final one with {@code "durable": true}.
 */
final class UploadAcks {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ProgressCounter progress;
  private volatile UploadResult result;

  UploadAcks(ProgressCounter progress) {
    this.progress = progress;
  }

  void accept(byte[] metadata) {
    if (metadata.length == 0) {
      return;
    }
    JsonNode ack;
    try {
      ack = JSON.readTree(metadata);
    } catch (IOException e) {
      return; // not Quiver's acknowledgement (another Flight server): nothing to learn from it
    }
    if (ack.path("durable").asBoolean(false)) {
      result = new UploadResult(ack.path("dataset").asText(), ack.path("mode").asText(), ack.path("batches").asLong(),
          ack.path("rows").asLong(), ack.path("bytes").asLong(), ack.path("parts").asInt());
      progress.set(result.batches(), result.rows());
    } else if (ack.has("batches")) {
      progress.set(ack.path("batches").asLong(), ack.path("rows").asLong());
    }
  }

  /** The final acknowledgement; fails if the call ended without one. */
  UploadResult result(String what) {
    UploadResult r = result;
    if (r == null) {
      throw new ServerException("INTERNAL", what + " ended without the server's final acknowledgement; whether the"
          + " dataset was stored is unknown: describe it to check", null);
    }
    return r;
  }
}
