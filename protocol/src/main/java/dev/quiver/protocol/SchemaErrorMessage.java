package dev.quiver.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.path.NodePath;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Turns a schema violation into a sentence a client author can act on: which key, what it must
 * be, and the schema's own description of it (so the hint in an error is the text of the
 * reference). A violation of a dataset name's rules is explained by {@link DatasetName}, which
 * knows which rule was broken.
 */
final class SchemaErrorMessage {
  private final Map<String, JsonNode> schemas;
  private final String schemaName;
  private final String what;

  SchemaErrorMessage(Map<String, JsonNode> schemas, String schemaName, String what) {
    this.schemas = schemas;
    this.schemaName = schemaName;
    this.what = what;
  }

  String describe(Error error, JsonNode document) {
    JsonNode schema = subschemaAt(error.getInstanceLocation());
    String path = display(error.getInstanceLocation());
    JsonNode instance = document.at(pointer(error.getInstanceLocation()));
    String keyword = error.getKeyword() == null ? "" : error.getKeyword();
    switch (keyword) {
      case "additionalProperties":
        return "unknown key \"" + DatasetName.printable(error.getProperty()) + "\" in " + where(path) + "; allowed: "
            + allowedKeys(schema);
      case "required":
        return what + " needs \"" + error.getProperty() + "\"" + hint(property(schema, error.getProperty()), ": ");
      case "type":
        return quoted(path) + " in " + what + " must be " + typeNames(schema.path("type")) + ", not "
            + instance.getNodeType().name().toLowerCase(Locale.ROOT) + hint(schema, ": ");
      case "enum":
      case "const":
        return quoted(path) + " in " + what + " must be " + allowedValues(schema) + ", not " + shorten(instance.toString())
            + hint(schema, "; ");
      case "uniqueItems":
        return quoted(path) + " in " + what + " lists " + shorten(firstRepeated(instance)) + " more than once"
            + hint(schema, "; expected ");
      default:
        if (instance.isTextual() && isDatasetName(schema)) {
          // Throws the precise reason; a name the schema refuses is never a valid DatasetName.
          DatasetName.parse(instance.textValue());
        }
        return quoted(path) + " in " + what + " is invalid: " + withoutLocation(error.getMessage())
            + hint(schema, "; expected ");
    }
  }

  private String where(String path) {
    return path.isEmpty() ? what : quoted(path) + " of " + what;
  }

  /** The schema that applies at {@code location}, following properties, items and references. */
  private JsonNode subschemaAt(NodePath location) {
    JsonNode node = resolve(schemas.get(schemaName));
    for (int i = 0; i < location.getNameCount(); i++) {
      Object element = location.getElement(i);
      node = element instanceof Integer ? resolve(node.path("items")) : property(node, element.toString());
    }
    return node;
  }

  private JsonNode property(JsonNode schema, String name) {
    return resolve(schema.path("properties").path(name));
  }

  /**
   * Follows a {@code $ref} (to {@code file.schema.json#/pointer}); the referring node's own
   * description, if it has one, is more specific than the target's and wins.
   */
  private JsonNode resolve(JsonNode node) {
    JsonNode ref = node.get("$ref");
    if (ref == null || !ref.isTextual()) {
      return node;
    }
    String[] parts = ref.textValue().split("#", 2);
    String file = parts[0].isEmpty() ? ProtocolSchema.fileName(schemaName) : parts[0];
    JsonNode target = schemas.get(file.replace(".schema.json", ""));
    if (target == null) {
      return node;
    }
    target = parts.length > 1 ? target.at(parts[1]) : target;
    if (node.has("description") && target instanceof ObjectNode object) {
      return object.deepCopy().set("description", node.get("description"));
    }
    return target;
  }

  private boolean isDatasetName(JsonNode schema) {
    JsonNode name = schemas.get(ProtocolSchema.COMMON).at("/$defs/datasetName/pattern");
    return name.equals(schema.get("pattern"));
  }

  private static String allowedKeys(JsonNode schema) {
    List<String> keys = new ArrayList<>();
    for (Iterator<String> it = schema.path("properties").fieldNames(); it.hasNext(); ) {
      keys.add("\"" + it.next() + "\"");
    }
    return keys.isEmpty() ? "none (send {} or nothing)" : String.join(", ", keys);
  }

  private static String allowedValues(JsonNode schema) {
    if (schema.has("const")) {
      return schema.get("const").toString();
    }
    List<String> values = new ArrayList<>();
    // null, where allowed, means "the default", which the description says; listing it confuses.
    schema.path("enum").forEach(v -> {
      if (!v.isNull()) {
        values.add(v.toString());
      }
    });
    return "one of " + String.join(", ", values);
  }

  private static String typeNames(JsonNode type) {
    if (type.isArray()) {
      List<String> names = new ArrayList<>();
      type.forEach(t -> names.add(article(t.asText())));
      return String.join(" or ", names);
    }
    return article(type.asText());
  }

  private static String article(String type) {
    switch (type) {
      case "null":
        return "null";
      case "array":
      case "object":
      case "integer":
        return "an " + type;
      default:
        return "a " + type;
    }
  }

  private static String firstRepeated(JsonNode array) {
    Set<JsonNode> seen = new HashSet<>();
    for (JsonNode item : array) {
      if (!seen.add(item)) {
        return item.toString();
      }
    }
    return array.toString();
  }

  private static String hint(JsonNode schema, String separator) {
    JsonNode description = schema.get("description");
    return description == null ? "" : separator + description.asText();
  }

  private static String quoted(String path) {
    return "\"" + path + "\"";
  }

  /** {@code batches[0]}, {@code columns}: how a person would name the place. */
  private static String display(NodePath location) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < location.getNameCount(); i++) {
      Object element = location.getElement(i);
      if (element instanceof Integer) {
        sb.append('[').append(element).append(']');
      } else {
        sb.append(sb.length() == 0 ? "" : ".").append(DatasetName.printable(element.toString()));
      }
    }
    return sb.toString();
  }

  private static String pointer(NodePath location) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < location.getNameCount(); i++) {
      sb.append('/').append(location.getElement(i).toString().replace("~", "~0").replace("/", "~1"));
    }
    return sb.toString();
  }

  /** The validator's message starts with the location ({@code $.batches: }), which we say ourselves. */
  private static String withoutLocation(String message) {
    int colon = message.indexOf(": ");
    return message.startsWith("$") && colon > 0 ? message.substring(colon + 2) : message;
  }

  private static String shorten(String text) {
    String printable = DatasetName.printable(text);
    return printable.length() > 80 ? printable.substring(0, 80) + "..." : printable;
  }
}
