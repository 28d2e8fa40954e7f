package dev.quiver.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.quiver.client.DatasetInfo;
import dev.quiver.client.QuiverClient;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code quiver ls [PATTERN]}: the datasets on the server, as a table or a JSON array. */
@Command(name = "ls", mixinStandardHelpOptions = true,
    description = "List datasets: all, those under a prefix (sales/), or those matching a glob (sales/*, **/2024).")
final class ListCommand extends QuiverCommand {
  @Parameters(index = "0", arity = "0..1", paramLabel = "PATTERN",
      description = "Prefix or glob of dataset names (default: all datasets).")
  String pattern;

  @Override
  void run(QuiverClient client) {
    List<DatasetInfo> datasets = client.list(pattern);
    if (json()) {
      ArrayNode array = Json.array();
      for (DatasetInfo d : datasets) {
        array.addObject().put("name", d.name()).put("rows", d.rows()).put("bytes", d.bytes())
            .put("endpoints", d.endpoints());
      }
      Json.print(out(), array);
      return;
    }
    if (datasets.isEmpty()) {
      // A header over nothing looks like a failure; say so instead, on stderr, keeping stdout empty.
      session().err().println(pattern == null ? "no datasets" : "no datasets match '" + pattern + "'");
      return;
    }
    Table table = new Table("NAME", "ROWS", "SIZE", "ENDPOINTS").alignRight(1, 2, 3);
    for (DatasetInfo d : datasets) {
      table.add(d.name(), Format.count(d.rows()), Format.bytes(d.bytes()), Integer.toString(d.endpoints()));
    }
    table.print(out());
  }
}
