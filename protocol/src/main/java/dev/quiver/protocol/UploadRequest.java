package dev.quiver.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
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
 */
public record UploadRequest(DatasetName dataset, Mode mode, Compression compression) {
  private static final List<String> KEYS = List.of("dataset", "mode", "compression");

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
    ObjectNode root = StrictJson.object(text, "upload command");
    StrictJson.allowOnly(root, KEYS, "upload command");
    JsonNode dataset = root.get("dataset");
    if (dataset == null || !dataset.isTextual()) {
      throw new ProtocolException("upload command needs \"dataset\": a string such as \"sales/2024\"");
    }
    return new UploadRequest(
        DatasetName.parse(dataset.textValue()),
        option(root, "mode", Mode.class, Mode.CREATE),
        option(root, "compression", Compression.class, Compression.NONE));
  }

  private static <E extends Enum<E>> E option(JsonNode root, String key, Class<E> type, E fallback) {
    JsonNode node = root.get(key);
    if (node == null || node.isNull()) {
      return fallback;
    }
    List<String> allowed = java.util.Arrays.stream(type.getEnumConstants())
        .map(e -> e.name().toLowerCase(Locale.ROOT)).toList();
    if (!node.isTextual() || !allowed.contains(node.textValue())) {
      throw new ProtocolException("\"" + key + "\" must be one of " + allowed + ", got " + node);
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
