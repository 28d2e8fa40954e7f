package dev.quiver.cli;

import dev.quiver.client.QuiverClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code quiver rm NAME}: deletes a dataset. Reads already under way finish normally (the server's guarantee). */
@Command(name = "rm", mixinStandardHelpOptions = true, description = "Delete a dataset.")
final class RemoveCommand extends QuiverCommand {
  @Parameters(index = "0", paramLabel = "NAME", description = "Dataset name.")
  String name;

  @Override
  void run(QuiverClient client) {
    client.delete(name);
    if (json()) {
      Json.print(out(), Json.object().put("deleted", name));
    } else {
      out().println("deleted '" + name + "'");
    }
  }
}
