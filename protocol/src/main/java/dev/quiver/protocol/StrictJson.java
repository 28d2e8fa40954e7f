package dev.quiver.protocol;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
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
    } catch (MismatchedInputException e) {
      if (e.getOriginalMessage().startsWith("Trailing token")) {
        // Jackson's words here are about its own configuration; say what is wrong with the document
        // and, if its first object names a dataset, which one (found by the bad-input matrix).
        throw new ProtocolException(about(text, what) + " is not valid JSON: content follows the object; send exactly"
            + " one JSON object", e);
      }
      throw new ProtocolException(what + " is not valid JSON: " + e.getOriginalMessage(), e);
    } catch (JsonProcessingException e) {
      // Limits (nesting depth, lengths) are worded with the name of Jackson's settings class: drop it.
      throw new ProtocolException(what + " is not valid JSON: " + e.getOriginalMessage().replaceAll(", from `[^`]*`", ""), e);
    }
    if (!(node instanceof ObjectNode object)) {
      throw new ProtocolException(what + " must be a JSON object");
    }
    return object;
  }

  /** {@code what}, naming the dataset if the document's first value is an object with a string "dataset". */
  private static String about(String text, String what) {
    try {
      return about(what, MAPPER.reader().without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readTree(text));
    } catch (JsonProcessingException e) {
      return what; // the first value is broken too: nothing to name
    }
  }

  /**
   * {@code what} ("ticket", "upload command"), followed by the dataset {@code document} names in a
   * string "dataset", if it does: every error about a document says which dataset it is about.
   */
  static String about(String what, JsonNode document) {
    JsonNode dataset = document == null ? null : document.get("dataset");
    return dataset != null && dataset.isTextual()
        ? what + " for dataset '" + DatasetName.printable(dataset.textValue()) + "'"
        : what;
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
