package dev.quiver.server.auth;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.Callable;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code quiver-server hash-password}: reads a password (from the terminal without echo, or the
 * first line of standard input) and prints its bcrypt hash, for a user's {@code "password"} in the
 * auth file.
 */
@Command(name = "hash-password", mixinStandardHelpOptions = true,
    description = {"Reads a password and prints its bcrypt hash, for the \"password\" of a user in the auth file.",
        "On a terminal it asks twice without echo; otherwise it reads the first line of standard input:",
        "  printf '%s\\n' \"$PASSWORD\" | java -jar quiver-server.jar hash-password"})
public final class HashPasswordCommand implements Callable<Integer> {
  /** bcrypt reads at most this many bytes of a password. */
  static final int MAX_PASSWORD_BYTES = 72;

  @Option(names = "--cost", paramLabel = "N", defaultValue = "12",
      description = "bcrypt cost, 10 to 31; each step doubles the time to check a password"
          + " (default: ${DEFAULT-VALUE}).")
  int cost;

  @Spec CommandSpec spec;

  private final InputStream in;

  public HashPasswordCommand() {
    this(null);
  }

  /** @param in where the password comes from; null: the terminal if there is one, else standard input */
  HashPasswordCommand(InputStream in) {
    this.in = in;
  }

  @Override
  public Integer call() throws IOException {
    if (cost < AuthFile.RECOMMENDED_COST || cost > 31) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--cost must be between " + AuthFile.RECOMMENDED_COST + " and 31");
    }
    PrintWriter err = spec.commandLine().getErr();
    char[] password = read(err);
    try {
      if (password == null) {
        return 1;
      }
      if (password.length == 0) {
        err.println("hash-password: the password is empty");
        return 1;
      }
      if (StandardCharsets.UTF_8.encode(CharBuffer.wrap(password)).remaining() > MAX_PASSWORD_BYTES) {
        err.println("hash-password: bcrypt uses only the first " + MAX_PASSWORD_BYTES + " bytes of a password;"
            + " choose one of at most " + MAX_PASSWORD_BYTES + " bytes (UTF-8)");
        return 1;
      }
      spec.commandLine().getOut().println(OpenBSDBCrypt.generate("2y", password, Secrets.salt(), cost));
      spec.commandLine().getOut().flush();
      return 0;
    } finally {
      if (password != null) {
        Arrays.fill(password, '\0');
      }
    }
  }

  private char[] read(PrintWriter err) throws IOException {
    Console console = in == null ? System.console() : null;
    if (console != null && console.isTerminal()) {
      char[] first = console.readPassword("Password: ");
      char[] second = first == null ? null : console.readPassword("Again: ");
      try {
        if (first == null || second == null) {
          err.println("hash-password: no password given");
          return null;
        }
        if (!Arrays.equals(first, second)) {
          err.println("hash-password: the two passwords differ");
          return null;
        }
        return first.clone();
      } finally {
        if (first != null) {
          Arrays.fill(first, '\0');
        }
        if (second != null) {
          Arrays.fill(second, '\0');
        }
      }
    }
    BufferedReader reader = new BufferedReader(new InputStreamReader(in == null ? System.in : in,
        StandardCharsets.UTF_8));
    String line = reader.readLine();
    if (line == null) {
      err.println("hash-password: no password on standard input");
      return null;
    }
    return line.toCharArray();
  }
}
