package dev.quiver.server.auth;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code quiver-server hash-token}: prints a new random API token and, on the next line, the auth
 * file's {@code "tokens"} entry holding its SHA-256. The token itself is stored nowhere: hand it to
 * the client, and put the entry in the file.
 */
@Command(name = "hash-token", mixinStandardHelpOptions = true,
    description = {"Prints a new random API token, then the auth file entry (JSON) holding its SHA-256.",
        "The token is stored nowhere: give it to the client (authorization: Bearer <token>) and put the",
        "entry in the \"tokens\" list of the auth file."})
public final class HashTokenCommand implements Callable<Integer> {
  @Option(names = "--name", paramLabel = "NAME", defaultValue = "api-token",
      description = "Name of the token in the auth file and in logs (default: ${DEFAULT-VALUE}).")
  String name;

  @Option(names = "--scope", paramLabel = "SCOPE", defaultValue = "read", split = ",",
      description = "Scopes of the token: read, write, admin, optionally limited to names, e.g. write:uploads/*"
          + " (repeatable or comma-separated; default: ${DEFAULT-VALUE}).")
  List<String> scopes;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    try {
      AuthFile.checkName(name);
      scopes.forEach(Grant::parse);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    String token = Secrets.newToken();
    ObjectNode entry = new ObjectMapper().createObjectNode()
        .put("name", name)
        .put("sha256", Secrets.sha256Hex(token));
    scopes.forEach(entry.putArray("scopes")::add);
    PrintWriter out = spec.commandLine().getOut();
    out.println(token);
    out.println(entry.toString());
    out.flush();
    return 0;
  }
}
