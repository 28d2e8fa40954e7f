package dev.quiver.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quiver.client.ColumnDescription;
import dev.quiver.client.DatasetDescription;
import dev.quiver.client.QuiverClient;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code quiver info NAME}: what the server knows of a dataset, as aligned lines and a column table, or JSON. */
@Command(name = "info", mixinStandardHelpOptions = true,
    description = "Describe a dataset: storage format, parts, rows, batches, size, compression, columns.")
final class InfoCommand extends QuiverCommand {
  @Parameters(index = "0", paramLabel = "NAME", description = "Dataset name.")
  String name;

  @Override
  void run(QuiverClient client) {
    DatasetDescription d = client.describe(name);
    if (json()) {
      ObjectNode object = Json.object().put("name", d.name()).put("path", d.path()).put("format", d.format())
          .put("parts", d.parts()).put("rows", d.rows()).put("batches", d.batches()).put("bytes", d.bytes())
          .put("compression", d.compression()).put("modified", d.modified().toString());
      ArrayNode columns = object.putArray("columns");
      for (ColumnDescription c : d.columns()) {
        columns.addObject().put("name", c.name()).put("type", c.type()).put("nullable", c.nullable())
            .put("dictionary_encoded", c.dictionaryEncoded());
      }
      Json.print(out(), object);
      return;
    }
    Map<String, String> lines = new LinkedHashMap<>();
    lines.put("name", d.name());
    lines.put("path", d.path());
    lines.put("format", d.format());
    lines.put("parts", Format.count(d.parts()));
    lines.put("rows", Format.count(d.rows()));
    lines.put("batches", Format.count(d.batches()));
    lines.put("size", Format.bytes(d.bytes()) + " (" + Format.count(d.bytes()) + " bytes)");
    lines.put("compression", d.compression());
    lines.put("modified", d.modified().toString());
    int width = lines.keySet().stream().mapToInt(String::length).max().orElse(0) + 1;
    lines.forEach((key, value) -> out().println(String.format("%-" + width + "s %s", key + ":", value)));
    out().println();
    Table table = new Table("COLUMN", "TYPE", "NULLABLE", "DICTIONARY");
    for (ColumnDescription c : d.columns()) {
      table.add(c.name(), c.type(), c.nullable() ? "yes" : "no", c.dictionaryEncoded() ? "yes" : "no");
    }
    table.print(out());
  }
}
