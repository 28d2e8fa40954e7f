package dev.quiver.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The JSON Schemas of the protocol's JSON documents: tickets, upload commands, acknowledgements,
 * action bodies and results. They live in {@code proto-docs/schemas} and are packaged with this
 * module, so the reference a client author reads and the checks the server runs are the same
 * files: every JSON document a client sends is validated against its schema before anything else
 * looks at it.
 *
 * <p>A schema says what a document may hold; what it cannot say (a batch range's start before its
 * end, a column the dataset does not have) is checked by the code that reads the document.
 */
public enum ProtocolSchema {
  TICKET("ticket"),
  UPLOAD_COMMAND("upload-command"),
  PUT_ACK("put-ack"),
  DESCRIBE_REQUEST("describe-request"),
  DESCRIBE_RESULT("describe-result"),
  DELETE_REQUEST("delete-request"),
  DELETE_RESULT("delete-result"),
  RENAME_REQUEST("rename-request"),
  RENAME_RESULT("rename-result"),
  REFRESH_REQUEST("refresh-request"),
  REFRESH_RESULT("refresh-result"),
  STATS_REQUEST("stats-request"),
  STATS_RESULT("stats-result");

  /** Where the schemas are on the class path, and the prefix of their {@code $id}s. */
  static final String RESOURCE_DIRECTORY = "dev/quiver/protocol/schemas/";
  static final String ID_PREFIX = "https://quiver.dev/protocol/schemas/";
  /** Definitions the others refer to; not a document of its own. */
  static final String COMMON = "common";

  private final String name;

  ProtocolSchema(String name) {
    this.name = name;
  }

  /** The schema's file name in {@code proto-docs/schemas}. */
  public String fileName() {
    return fileName(name);
  }

  /** The schema itself, as JSON. */
  public JsonNode schemaNode() {
    return Loaded.INSTANCE.schemas.get(this).getSchemaNode();
  }

  /**
   * Parses {@code text} as one strict JSON object (see {@link StrictJson}) and validates it.
   *
   * @param what names the document in error messages, e.g. {@code "ticket"}
   * @throws ProtocolException saying what is wrong and how to write it instead
   */
  public ObjectNode read(String text, String what) {
    ObjectNode document = StrictJson.object(text, what);
    check(document, StrictJson.about(what, document));
    return document;
  }

  /**
   * Validates {@code document}.
   *
   * @throws ProtocolException describing the most useful of the violations
   */
  public void check(JsonNode document, String what) {
    List<Error> errors = Loaded.INSTANCE.schemas.get(this).validate(document);
    if (!errors.isEmpty()) {
      // An unknown key first: a misspelt key also makes its correct spelling "missing".
      Error first = errors.stream().min(Comparator.comparingInt(ProtocolSchema::priority)).orElseThrow();
      throw new ProtocolException(new SchemaErrorMessage(Loaded.INSTANCE.nodes, name, what).describe(first, document));
    }
  }

  /** Every violation, one line each; empty when {@code document} is valid. For tests of outputs. */
  public List<String> violations(JsonNode document) {
    return Loaded.INSTANCE.schemas.get(this).validate(document).stream()
        .map(Error::toString)
        .collect(Collectors.toList());
  }

  private static int priority(Error error) {
    String keyword = error.getKeyword();
    if ("additionalProperties".equals(keyword)) {
      return 0;
    }
    return "required".equals(keyword) ? 1 : 2;
  }

  static String fileName(String name) {
    return name + ".schema.json";
  }

  /** The schemas, read and compiled once, on first use. */
  private static final class Loaded {
    static final Loaded INSTANCE = new Loaded();

    /** Every schema's JSON by name, {@code common} included: for messages built from descriptions. */
    final Map<String, JsonNode> nodes = new HashMap<>();
    final Map<ProtocolSchema, Schema> schemas = new EnumMap<>(ProtocolSchema.class);

    private Loaded() {
      Map<String, String> texts = new HashMap<>();
      texts.put(ID_PREFIX + fileName(COMMON), resource(COMMON));
      for (ProtocolSchema schema : values()) {
        texts.put(ID_PREFIX + schema.fileName(), resource(schema.name));
      }
      // Every $id and $ref resolves to a packaged file: the validator never fetches anything.
      SchemaRegistry registry = SchemaRegistry.withDefaultDialect(
          SpecificationVersion.DRAFT_2020_12, builder -> builder.schemas(texts));
      for (ProtocolSchema schema : values()) {
        schemas.put(schema, registry.getSchema(SchemaLocation.of(ID_PREFIX + schema.fileName())));
      }
      try {
        for (Map.Entry<String, String> entry : texts.entrySet()) {
          String file = entry.getKey().substring(ID_PREFIX.length());
          nodes.put(file.substring(0, file.length() - ".schema.json".length()), StrictJson.MAPPER.readTree(entry.getValue()));
        }
      } catch (IOException e) {
        throw new UncheckedIOException("a packaged protocol schema is not valid JSON", e);
      }
    }

    private static String resource(String name) {
      String path = RESOURCE_DIRECTORY + fileName(name);
      try (InputStream in = ProtocolSchema.class.getClassLoader().getResourceAsStream(path)) {
        if (in == null) {
          throw new IllegalStateException("protocol schema " + path + " is missing from the class path");
        }
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read protocol schema " + path, e);
      }
    }
  }
}
