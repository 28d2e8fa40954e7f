package dev.quiver.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.quiver.client.testing.LiveServer;
import dev.quiver.protocol.UploadRequest.Mode;
import dev.quiver.server.ipc.ArrowFiles;
import dev.quiver.server.ipc.ArrowFiles.Spec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** list, describe, schema, delete and rename against a real server. */
class CatalogTest {
  private static final Spec SALES_2024 = Spec.file(3, 100);
  private static final Spec SALES_2025 = Spec.stream(2, 50);
  private static final Spec EVENTS = Spec.file(1, 10).withoutDictionary();

  @TempDir Path data;
  @TempDir Path local;
  private LiveServer server;
  private QuiverClient client;

  @BeforeEach
  void start() throws Exception {
    Files.createDirectories(data.resolve("sales"));
    Files.createDirectories(data.resolve("archive/old"));
    ArrowFiles.write(data.resolve("sales/2024.arrow"), SALES_2024);
    ArrowFiles.write(data.resolve("sales/2025.arrows"), SALES_2025);
    ArrowFiles.write(data.resolve("events.arrow"), EVENTS);
    ArrowFiles.write(data.resolve("archive/old/sales.arrow"), EVENTS);
    server = LiveServer.start(data);
    client = server.client();
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
  }

  private static List<String> names(List<DatasetInfo> infos) {
    return infos.stream().map(DatasetInfo::name).toList();
  }

  @Test
  void listsEverythingForAnEmptyOrNullPattern() {
    List<String> all = List.of("archive/old/sales", "events", "sales/2024", "sales/2025");
    assertThat(names(client.list(""))).containsExactlyInAnyOrderElementsOf(all);
    assertThat(names(client.list(null))).containsExactlyInAnyOrderElementsOf(all);
  }

  @Test
  void listingCarriesRowsBytesAndEndpoints() {
    DatasetInfo sales = client.list("sales/2024").stream().filter(i -> i.name().equals("sales/2024")).findFirst()
        .orElseThrow();
    assertThat(sales.rows()).isEqualTo(SALES_2024.totalRows());
    assertThat(sales.bytes()).isPositive();
    assertThat(sales.endpoints()).isEqualTo(1);
  }

  @Test
  void listsByPrefix() {
    assertThat(names(client.list("sales/"))).containsExactlyInAnyOrder("sales/2024", "sales/2025");
    assertThat(names(client.list("ev"))).containsExactly("events");
    assertThat(client.list("nothing-like-this")).isEmpty();
  }

  @Test
  void listsByGlob() {
    assertThat(names(client.list("sales/*"))).containsExactlyInAnyOrder("sales/2024", "sales/2025");
    assertThat(names(client.list("sales/202?"))).containsExactlyInAnyOrder("sales/2024", "sales/2025");
    assertThat(names(client.list("**/sales"))).containsExactly("archive/old/sales");
    assertThat(names(client.list("*"))).containsExactly("events"); // '*' stays within one segment
  }

  @Test
  void describesAFileDataset() throws Exception {
    DatasetDescription d = client.describe("sales/2024");
    assertThat(d.name()).isEqualTo("sales/2024");
    assertThat(d.path()).isEqualTo("sales/2024.arrow");
    assertThat(d.format()).isEqualTo("file");
    assertThat(d.parts()).isEqualTo(1);
    assertThat(d.rows()).isEqualTo(300);
    assertThat(d.batches()).isEqualTo(3);
    assertThat(d.bytes()).isEqualTo(Files.size(data.resolve("sales/2024.arrow")));
    assertThat(d.compression()).isEqualTo("none");
    assertThat(d.modified()).isCloseTo(Files.getLastModifiedTime(data.resolve("sales/2024.arrow")).toInstant(),
        within(1, ChronoUnit.SECONDS));
    assertThat(d.columns()).containsExactly(
        new ColumnDescription("id", new ArrowType.Int(64, true).toString(), false, false),
        new ColumnDescription("name", ArrowType.Utf8.INSTANCE.toString(), true, false),
        new ColumnDescription("score", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE).toString(), true,
            false),
        new ColumnDescription("tags", ArrowType.List.INSTANCE.toString(), true, false),
        new ColumnDescription("point", ArrowType.Struct.INSTANCE.toString(), true, false),
        new ColumnDescription("category", ArrowType.Utf8.INSTANCE.toString(), true, true));
  }

  @Test
  void describesAStreamDataset() {
    DatasetDescription d = client.describe("sales/2025");
    assertThat(d.format()).isEqualTo("stream");
    assertThat(d.path()).isEqualTo("sales/2025.arrows");
    assertThat(d.rows()).isEqualTo(100);
    assertThat(d.batches()).isEqualTo(2);
  }

  @Test
  void describeShowsThePartsAfterAnAppend() throws Exception {
    Path more = ArrowFiles.write(local.resolve("more.arrow"), EVENTS);
    Instant before = client.describe("events").modified();
    client.upload(more, "events", UploadOptions.defaults().withMode(Mode.APPEND));

    DatasetDescription d = client.describe("events");
    assertThat(d.format()).isEqualTo("parts");
    assertThat(d.parts()).isEqualTo(2);
    assertThat(d.path()).isEqualTo("events.parts");
    assertThat(d.rows()).isEqualTo(2 * EVENTS.totalRows());
    assertThat(d.batches()).isEqualTo(2);
    assertThat(d.modified()).isAfterOrEqualTo(before);
    assertThat(d.columns()).extracting(ColumnDescription::name).containsExactly("id", "name", "score", "tags", "point");
  }

  @Test
  void schemaIsTheWireSchema() {
    Schema schema = client.schema("sales/2024");
    assertThat(schema.getFields()).extracting(Field::getName).containsExactlyElementsOf(ArrowFiles.COLUMNS);
    assertThat(schema.findField("id").getType()).isEqualTo(new ArrowType.Int(64, true));
    Field category = schema.findField("category");
    assertThat(category.getType()).isEqualTo(ArrowType.Utf8.INSTANCE);
    assertThat(category.getDictionary()).isNotNull();
    assertThat(category.getDictionary().getId()).isEqualTo(ArrowFiles.DICTIONARY_ID);
    assertThat(client.schema("sales/2025")).isEqualTo(ArrowFiles.schema(SALES_2025));
  }

  @Test
  void unknownDatasetsAreNotFound() {
    assertThatThrownBy(() -> client.describe("sales/1999")).isInstanceOf(DatasetNotFoundException.class)
        .hasMessageContaining("sales/1999");
    assertThatThrownBy(() -> client.schema("sales/1999")).isInstanceOf(DatasetNotFoundException.class)
        .hasMessageContaining("sales/1999");
    assertThatThrownBy(() -> client.delete("sales/1999")).isInstanceOf(DatasetNotFoundException.class);
    assertThatThrownBy(() -> client.rename("sales/1999", "x", false)).isInstanceOf(DatasetNotFoundException.class);
  }

  @Test
  void renamesAndDeletes() {
    client.rename("events", "renamed/events", false);
    assertThat(names(client.list(""))).contains("renamed/events").doesNotContain("events");
    assertThat(client.describe("renamed/events").rows()).isEqualTo(EVENTS.totalRows());

    assertThatThrownBy(() -> client.rename("renamed/events", "sales/2024", false))
        .isInstanceOf(DatasetExistsException.class).hasMessageContaining("sales/2024");
    client.rename("renamed/events", "sales/2024", true);
    assertThat(client.describe("sales/2024").rows()).isEqualTo(EVENTS.totalRows());

    client.delete("sales/2024");
    assertThat(names(client.list(""))).containsExactlyInAnyOrder("archive/old/sales", "sales/2025");
    assertThatThrownBy(() -> client.describe("sales/2024")).isInstanceOf(DatasetNotFoundException.class);
  }
}
