package dev.quiver.cli;

import dev.quiver.client.QuiverClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code quiver mv FROM TO}: renames a dataset on the server (no data moves over the network). */
@Command(name = "mv", mixinStandardHelpOptions = true, description = "Rename a dataset.")
final class MoveCommand extends QuiverCommand {
  @Parameters(index = "0", paramLabel = "FROM", description = "Current dataset name.")
  String from;

  @Parameters(index = "1", paramLabel = "TO", description = "New dataset name.")
  String to;

  @Option(names = "--overwrite", description = "Replace dataset TO if it exists.")
  boolean overwrite;

  @Override
  void run(QuiverClient client) {
    client.rename(from, to, overwrite);
    if (json()) {
      Json.print(out(), Json.object().put("from", from).put("to", to).put("overwrite", overwrite));
    } else {
      out().println("renamed '" + from + "' to '" + to + "'");
    }
  }
}
