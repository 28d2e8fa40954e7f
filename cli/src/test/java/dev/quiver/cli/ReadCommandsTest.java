package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** ls, info and schema against the sample dataset, as tables and as JSON. */
class ReadCommandsTest extends ServerFixture {
  @Test
  void lsPrintsATableWithHumanSizes() {
    Cli.Result result = quiver("ls");

    assertThat(result.exitCode()).as(result.toString()).isZero();
    List<String> lines = result.out().lines().toList();
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0).split("\\s+")).containsExactly("NAME", "ROWS", "SIZE", "ENDPOINTS");
    assertThat(lines.get(1)).matches("sample\\s+10,000\\s+\\d+\\.\\d KiB\\s+1");
    assertThat(result.err()).isEmpty();
  }

  @Test
  void lsJsonIsAnArrayOfDatasets() {
    JsonNode json = quiver("ls", "--json").json();

    assertThat(json.isArray()).isTrue();
    assertThat(json).hasSize(1);
    JsonNode sample = json.get(0);
    assertThat(sample.get("name").asText()).isEqualTo("sample");
    assertThat(sample.get("rows").asLong()).isEqualTo(10_000);
    assertThat(sample.get("bytes").asLong()).isPositive();
    assertThat(sample.get("endpoints").asInt()).isEqualTo(1);
  }

  @Test
  void lsWithAPatternThatMatchesNothingSaysSoOnStderr() {
    Cli.Result table = quiver("ls", "nothing/*");
    Cli.Result json = quiver("ls", "nothing/*", "--json");

    assertThat(table.exitCode()).isZero();
    assertThat(table.out()).isEmpty();
    assertThat(table.err()).contains("no datasets match 'nothing/*'");
    assertThat(json.exitCode()).isZero();
    assertThat(json.json().isArray()).isTrue();
    assertThat(json.json()).isEmpty();
  }

  @Test
  void infoPrintsAlignedLinesAndAColumnTable() {
    Cli.Result result = quiver("info", "sample");

    assertThat(result.exitCode()).as(result.toString()).isZero();
    List<String> lines = result.out().lines().toList();
    assertThat(lines).contains("name:        sample", "format:      file", "parts:       1", "rows:        10,000",
        "batches:     10", "compression: none");
    assertThat(lines).anyMatch(l -> l.matches("size:        \\d+\\.\\d KiB \\([\\d,]+ bytes\\)"));
    int header = lines.indexOf(lines.stream().filter(l -> l.startsWith("COLUMN")).findFirst().orElseThrow());
    assertThat(lines.get(header).split("\\s+")).containsExactly("COLUMN", "TYPE", "NULLABLE", "DICTIONARY");
    List<String[]> columns = new ArrayList<>();
    lines.subList(header + 1, lines.size()).forEach(l -> columns.add(l.split("\\s{2,}")));
    assertThat(columns).extracting(c -> c[0]).containsExactly("trip_id", "city", "distance_km", "fare", "pickup_at");
    assertThat(columns.get(0)).containsExactly("trip_id", "Int(64, true)", "no", "no");
    assertThat(columns.get(1)).containsExactly("city", "Utf8", "yes", "no");
  }

  @Test
  void infoJsonDescribesTheDataset() {
    JsonNode json = quiver("--json", "info", "sample").json();

    assertThat(json.get("name").asText()).isEqualTo("sample");
    assertThat(json.get("path").asText()).isEqualTo("sample.arrow");
    assertThat(json.get("format").asText()).isEqualTo("file");
    assertThat(json.get("parts").asInt()).isEqualTo(1);
    assertThat(json.get("rows").asLong()).isEqualTo(10_000);
    assertThat(json.get("batches").asLong()).isEqualTo(10);
    assertThat(json.get("bytes").asLong()).isPositive();
    assertThat(json.get("compression").asText()).isEqualTo("none");
    assertThat(Instant.parse(json.get("modified").asText())).isBefore(Instant.now().plusSeconds(60));
    assertThat(json.get("columns")).hasSize(5);
    JsonNode fare = json.get("columns").get(3);
    assertThat(fare.get("name").asText()).isEqualTo("fare");
    assertThat(fare.get("type").asText()).isEqualTo("FloatingPoint(DOUBLE)");
    assertThat(fare.get("nullable").asBoolean()).isTrue();
    assertThat(fare.get("dictionary_encoded").asBoolean()).isFalse();
  }

  @Test
  void schemaPrintsOneLinePerField() {
    Cli.Result result = quiver("schema", "sample");

    assertThat(result.exitCode()).as(result.toString()).isZero();
    assertThat(result.out().lines()).containsExactly(
        "trip_id: Int(64, true) (not null)",
        "city: Utf8 (nullable)",
        "distance_km: FloatingPoint(DOUBLE) (nullable)",
        "fare: FloatingPoint(DOUBLE) (nullable)",
        "pickup_at: Timestamp(MICROSECOND, UTC) (nullable)");
  }

  @Test
  void schemaJsonListsTheFields() {
    JsonNode json = quiver("schema", "sample", "--json").json();

    assertThat(json.get("dataset").asText()).isEqualTo("sample");
    JsonNode fields = json.get("fields");
    assertThat(fields).hasSize(5);
    assertThat(fields.get(0).get("name").asText()).isEqualTo("trip_id");
    assertThat(fields.get(0).get("type").asText()).isEqualTo("Int(64, true)");
    assertThat(fields.get(0).get("nullable").asBoolean()).isFalse();
    assertThat(fields.get(4).get("type").asText()).isEqualTo("Timestamp(MICROSECOND, UTC)");
    assertThat(fields.get(4).get("children").isArray()).isTrue();
    assertThat(json.get("metadata").isObject()).isTrue();
  }
}
