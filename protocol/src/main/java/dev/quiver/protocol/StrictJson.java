package dev.quiver.protocol;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Collectors;

/**
 * How every JSON document of the protocol (tickets, upload commands, action bodies) is read: as one
 * object, with trailing content, repeated keys and unknown keys refused, so that a typo is an error
 * and never silently means "the default".
 */
public final class StrictJson {
  /** A mapper that refuses trailing content and repeated keys. */
  public static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private StrictJson() {}

  /**
   * Parses {@code text} as a JSON object.
   *
   * @param what names the document in error messages, e.g. {@code "ticket"}
   * @throws ProtocolException if it is not valid JSON or not an object
   */
  public static ObjectNode object(String text, String what) {
    JsonNode node;
    try {
      node = MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw new ProtocolException(what + " is not valid JSON: " + e.getOriginalMessage(), e);
    }
    if (!(node instanceof ObjectNode object)) {
      throw new ProtocolException(what + " must be a JSON object");
    }
    return object;
  }

  /**
   * Refuses any key of {@code object} not in {@code allowed}.
   *
   * @throws ProtocolException naming the first unknown key and listing the allowed ones
   */
  public static void allowOnly(ObjectNode object, List<String> allowed, String what) {
    for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!allowed.contains(key)) {
        throw new ProtocolException("unknown key \"" + DatasetName.printable(key) + "\" in " + what + "; allowed: "
            + allowed.stream().map(k -> "\"" + k + "\"").collect(Collectors.joining(", ")));
      }
    }
  }
}
