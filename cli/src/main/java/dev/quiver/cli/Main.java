package dev.quiver.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code quiver}: the command line of a Quiver server. {@link #main} is the jar's entry point;
 * {@link #run(String[], PrintStream, PrintStream)} runs a command line in-process and returns its
 * exit code, which is what the tests use.
 */
@Command(
    name = "quiver",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Lists, describes, downloads, uploads, deletes and renames datasets on a Quiver server.",
    subcommands = {
        ListCommand.class, InfoCommand.class, SchemaCommand.class, GetCommand.class, PutCommand.class,
        RemoveCommand.class, MoveCommand.class, CommandLine.HelpCommand.class},
    footerHeading = "%nEnvironment:%n",
    footer = {
        "  QUIVER_SERVER    server address when --server is not given",
        "  QUIVER_TOKEN     bearer token when --token is not given",
        "  QUIVER_PASSWORD  password for --user",
        "  QUIVER_DEBUG     set to print stack traces of unexpected errors"})
public final class Main implements Callable<Integer> {
  /** Held so the level set on it is not lost: java.util.logging keeps loggers only weakly. */
  private static Logger grpcLogger;

  @Mixin
  GlobalOptions global;

  @Spec
  CommandSpec spec;

  private final Session session;

  Main(Session session) {
    this.session = session;
  }

  public static void main(String[] args) {
    prepareJvm();
    int code;
    try (ShutdownHookInterrupts interrupts = new ShutdownHookInterrupts()) {
      code = run(args, new Session(System.out, System.err, System.getenv(), interrupts));
    }
    System.exit(code);
  }

  /** Runs one command line with the process environment; returns the exit code ({@link ExitCodes}). */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    try (ShutdownHookInterrupts interrupts = new ShutdownHookInterrupts()) {
      return run(args, new Session(out, err, System.getenv(), interrupts));
    }
  }

  static int run(String[] args, Session session) {
    Main main = new Main(session);
    CommandLine commandLine = new CommandLine(main);
    ErrorHandler errors = new ErrorHandler(session, main.global);
    commandLine.setOut(new PrintWriter(session.out(), true))
        .setErr(new PrintWriter(session.err(), true))
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setParameterExceptionHandler(errors)
        .setExecutionExceptionHandler(errors);
    for (CommandLine command : commandLine.getSubcommands().values()) {
      exitCodeHelp(command);
    }
    exitCodeHelp(commandLine);
    try {
      return commandLine.execute(args);
    } catch (Error e) { // picocli hands only Exceptions to the handler
      return errors.unexpected(e);
    }
  }

  private static void exitCodeHelp(CommandLine command) {
    command.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n").exitCodeList(ExitCodes.helpList());
  }

  /** {@code quiver} without a command: say which ones there are. */
  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(),
        "no command given; one of: " + String.join(", ", spec.subcommands().keySet()));
  }

  Session session() {
    return session;
  }

  /**
   * Settings that must be in place before Netty's and java.util.logging's classes initialize.
   * Netty only uses {@code sun.misc.Unsafe} on JDK 24+ when told to (as in the server's launcher),
   * and Arrow's Netty allocator cannot start without it (memoryAddress of an empty buffer fails).
   * JDK 24+ prints a one-time warning about that use; JDK 17 to 23 print nothing. gRPC logs through java.util.logging, whose default is two lines
   * with a timestamp on stderr for every INFO message: keep warnings only, on one line, without
   * stack traces; the command reports its own errors.
   */
  static void prepareJvm() {
    if (System.getProperty("io.netty.noUnsafe") == null) {
      System.setProperty("io.netty.noUnsafe", "false");
    }
    if (System.getProperty("io.netty.tryReflectionSetAccessible") == null) {
      System.setProperty("io.netty.tryReflectionSetAccessible", "true");
    }
    if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
      System.setProperty("java.util.logging.SimpleFormatter.format", "quiver: %4$s: %5$s%n");
    }
    Logger.getLogger("").setLevel(Level.WARNING);
    // gRPC warns about a failed name lookup (with a stack trace) before the call fails with the
    // same news, which the command then reports in its own words.
    grpcLogger = Logger.getLogger("io.grpc");
    grpcLogger.setLevel(Level.OFF);
  }

  /** {@code quiver --version}: this build's version (from version.properties) and the JVM running it. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
      Properties properties = new Properties();
      try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
        if (in != null) {
          properties.load(in);
        }
      }
      return new String[] {"quiver " + properties.getProperty("version", "(development build)"),
          "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")"};
    }
  }
}
