package dev.quiver.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;

/**
 * What a DoPut asks the server to do with the uploaded stream. A path descriptor
 * ({@code FlightDescriptor.path("sales", "2024")}) means "create dataset sales/2024"; a command
 * descriptor holds JSON with options:
 *
 * <pre>{"dataset": "sales/2024", "mode": "append", "compression": "zstd"}</pre>
 *
 * <ul>
 *   <li>{@code mode}: {@code create} (default; fails if the dataset exists), {@code overwrite}
 *       (replaces it atomically), {@code append} (adds the batches after the existing ones; the
 *       schema must be the same; creates the dataset if it does not exist);</li>
 *   <li>{@code compression}: {@code none} (default, what zero-copy serving wants), {@code lz4}
 *       or {@code zstd}: buffers of uncompressed incoming batches are compressed on write.</li>
 * </ul>
 * Commands are validated against {@link ProtocolSchema#UPLOAD_COMMAND}.
 */
public record UploadRequest(DatasetName dataset, Mode mode, Compression compression) {

  public enum Mode { CREATE, OVERWRITE, APPEND }

  public enum Compression { NONE, LZ4, ZSTD }

  public UploadRequest {
    Objects.requireNonNull(dataset, "dataset");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(compression, "compression");
  }

  /** Create {@code dataset}, uncompressed: what a path descriptor means. */
  public static UploadRequest create(DatasetName dataset) {
    return new UploadRequest(dataset, Mode.CREATE, Compression.NONE);
  }

  /**
   * Parses the JSON held by a command descriptor.
   *
   * @throws ProtocolException saying what is wrong with it
   */
  public static UploadRequest parseCommand(byte[] command) {
    String text = new String(command, StandardCharsets.UTF_8).strip();
    if (!text.startsWith("{")) {
      throw new ProtocolException(
          "upload command must be JSON such as {\"dataset\": \"sales\", \"mode\": \"append\"}; "
              + "or use a path descriptor naming the dataset");
    }
    ObjectNode root = ProtocolSchema.UPLOAD_COMMAND.read(text, "upload command");
    return new UploadRequest(
        DatasetName.parse(root.get("dataset").textValue()),
        option(root, "mode", Mode.class, Mode.CREATE),
        option(root, "compression", Compression.class, Compression.NONE));
  }

  /** A value the schema has already checked to be one of the enum's names, in lower case, or null. */
  private static <E extends Enum<E>> E option(JsonNode root, String key, Class<E> type, E fallback) {
    JsonNode node = root.get(key);
    if (node == null || node.isNull()) {
      return fallback;
    }
    return Enum.valueOf(type, node.textValue().toUpperCase(Locale.ROOT));
  }

  /** The JSON form, for command descriptors. */
  public String toJson() {
    ObjectNode node = StrictJson.MAPPER.createObjectNode();
    node.put("dataset", dataset.toString());
    node.put("mode", mode.name().toLowerCase(Locale.ROOT));
    node.put("compression", compression.name().toLowerCase(Locale.ROOT));
    return node.toString();
  }
}
