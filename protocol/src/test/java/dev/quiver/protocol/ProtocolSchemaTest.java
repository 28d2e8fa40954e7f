package dev.quiver.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The packaged schemas: complete, well-formed, consistent with the code that reads the documents. */
class ProtocolSchemaTest {
  /** The source directory, relative to this module (Maven runs tests there). */
  private static final Path SCHEMAS = Path.of("..", "proto-docs", "schemas");

  @Test
  void everySchemaFileIsPackagedAndNamedByTheEnum() throws IOException {
    Set<String> files;
    try (Stream<Path> list = Files.list(SCHEMAS)) {
      files = list.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
    }
    Set<String> known = Arrays.stream(ProtocolSchema.values()).map(ProtocolSchema::fileName)
        .collect(Collectors.toCollection(TreeSet::new));
    known.add(ProtocolSchema.fileName(ProtocolSchema.COMMON));
    assertThat(files).isEqualTo(known);
  }

  @ParameterizedTest
  @EnumSource(ProtocolSchema.class)
  void schemaIsValidDraft202012AndItsExamplesConform(ProtocolSchema schema) {
    SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    Schema metaSchema = registry.getSchema(SchemaLocation.of("https://json-schema.org/draft/2020-12/schema"));
    JsonNode node = schema.schemaNode();
    assertThat(metaSchema.validate(node)).isEmpty();
    assertThat(node.path("$id").asText()).isEqualTo(ProtocolSchema.ID_PREFIX + schema.fileName());
    assertThat(node.path("title").asText()).isNotBlank();
    for (JsonNode example : node.path("examples")) {
      assertThat(schema.violations(example)).as(example.toString()).isEmpty();
    }
  }

  @ParameterizedTest
  @EnumSource(ProtocolSchema.class)
  void everyPropertyIsDescribedOrSelfEvident(ProtocolSchema schema) {
    // The descriptions are the hints in error messages and the text of the reference tables.
    if (schema.name().endsWith("_REQUEST") || schema == ProtocolSchema.TICKET || schema == ProtocolSchema.UPLOAD_COMMAND) {
      schema.schemaNode().path("properties").fields().forEachRemaining(field -> {
        JsonNode property = field.getValue();
        assertThat(property.has("description") || property.has("$ref"))
            .as(schema.fileName() + " property " + field.getKey()).isTrue();
      });
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"sales", "sales/2024", "a/b/c", "x.y", ".hidden", "a/.b", "...", "a/...", "über/straße",
      "with space", "a-b_c", "日本/データ", "a\u2028b", "a\u00a0b", "emoji\uD83D\uDE00"})
  void namePatternAcceptsWhatDatasetNameAccepts(String name) {
    assertThatCode(() -> DatasetName.parse(name)).doesNotThrowAnyException();
    assertThat(namePattern().matcher(name).matches()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "/abs", "a//b", "a/", "/", ".", "..", "./a", "a/.", "../a", "a/..", "a/../b",
      "a\\b", "a\u0000b", "a\nb", "a\u007fb", "a\u0085b", "a\u009fb", "a\u2028/..", "a\uD800b", "a\uDE00", "\uDBFF"})
  void namePatternRefusesWhatDatasetNameRefuses(String name) {
    assertThatThrownBy(() -> DatasetName.parse(name)).isInstanceOf(ProtocolException.class);
    assertThat(namePattern().matcher(name).matches()).isFalse();
  }

  @Test
  void namePatternAndDatasetNameAgreeOnLength() {
    String longest = "a".repeat(DatasetName.MAX_LENGTH);
    assertThatCode(() -> DatasetName.parse(longest)).doesNotThrowAnyException();
    assertThatThrownBy(() -> DatasetName.parse(longest + "a")).isInstanceOf(ProtocolException.class);
    JsonNode name = commonName();
    assertThat(name.path("maxLength").asInt()).isEqualTo(DatasetName.MAX_LENGTH);
  }

  @Test
  void aNameTheSchemaRefusesIsExplainedByDatasetName() {
    assertThatThrownBy(() -> DatasetTicket.parse("{\"dataset\": \"a/../b\"}".getBytes()))
        .hasMessageContaining("'..' segments are not allowed");
    assertThatThrownBy(() -> UploadRequest.parseCommand("{\"dataset\": \"a\\\\b\"}".getBytes()))
        .hasMessageContaining("'\\' is not allowed");
  }

  @Test
  void uploadCommandsAreReadAsTheSchemaSays() {
    UploadRequest request = UploadRequest.parseCommand(
        "{\"dataset\": \"s\", \"mode\": \"append\", \"compression\": \"zstd\"}".getBytes());
    assertThat(request).isEqualTo(new UploadRequest(DatasetName.parse("s"), UploadRequest.Mode.APPEND,
        UploadRequest.Compression.ZSTD));
    assertThat(UploadRequest.parseCommand("{\"dataset\": \"s\", \"mode\": null}".getBytes()).mode())
        .isEqualTo(UploadRequest.Mode.CREATE);
    JsonNode modes = ProtocolSchema.UPLOAD_COMMAND.schemaNode().at("/properties/mode/enum");
    for (UploadRequest.Mode mode : UploadRequest.Mode.values()) {
      assertThat(modes.toString()).contains("\"" + mode.name().toLowerCase() + "\"");
    }
    assertThat(ProtocolSchema.UPLOAD_COMMAND.violations(json(request.toJson()))).isEmpty();
  }

  @Test
  void uploadCommandErrorsSayWhatIsAllowed() {
    assertThatThrownBy(() -> UploadRequest.parseCommand("{\"dataset\": \"s\", \"mode\": \"upsert\"}".getBytes()))
        .hasMessage("\"mode\" in upload command for dataset 's' must be one of \"create\", \"overwrite\", \"append\","
            + " not \"upsert\"; " + ProtocolSchema.UPLOAD_COMMAND.schemaNode().at("/properties/mode/description").asText());
    assertThatThrownBy(() -> UploadRequest.parseCommand("{\"datset\": \"s\"}".getBytes()))
        .hasMessage("unknown key \"datset\" in upload command; allowed: \"dataset\", \"mode\", \"compression\"");
  }

  @Test
  void ticketsWrittenByTheCodeConform() {
    DatasetTicket ticket = new DatasetTicket(DatasetName.parse("a/b"), List.of("x", "y"), new BatchRange(1, 4));
    assertThat(ProtocolSchema.TICKET.violations(json(ticket.toJson()))).isEmpty();
    assertThat(ProtocolSchema.TICKET.violations(json(DatasetTicket.of(DatasetName.parse("a")).toJson()))).isEmpty();
  }

  @Test
  void violationsListEveryProblem() {
    assertThat(ProtocolSchema.RENAME_REQUEST.violations(json("{\"from\": 1, \"overwrite\": \"yes\"}")))
        .hasSize(3);
  }

  private static JsonNode json(String text) {
    return StrictJson.object(text, "test document");
  }

  private static JsonNode commonName() {
    try {
      return StrictJson.MAPPER.readTree(SCHEMAS.resolve("common.schema.json").toFile()).at("/$defs/datasetName");
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static Pattern namePattern() {
    return Pattern.compile(commonName().path("pattern").asText());
  }
}
