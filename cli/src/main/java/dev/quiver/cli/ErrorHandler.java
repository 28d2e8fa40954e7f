package dev.quiver.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Reports a failure the same way whatever raised it: one line {@code quiver: <message>} on stderr
 * (the client library's messages already say what failed and what to do), with {@code --json} also
 * {@code {"error": ..., "kind": ...}} on stdout so a script reading stdout always gets JSON, and
 * the exit code from {@link ExitCodes}. No stack traces, except for unexpected errors (bugs) when
 * {@code QUIVER_DEBUG} is set.
 */
final class ErrorHandler implements IExecutionExceptionHandler, IParameterExceptionHandler {
  private final Session session;
  private final GlobalOptions global;

  ErrorHandler(Session session, GlobalOptions global) {
    this.session = session;
    this.global = global;
  }

  /** A command line picocli could not parse: unknown option, missing or malformed argument. */
  @Override
  public int handleParseException(ParameterException ex, String[] args) {
    String command = ex.getCommandLine().getCommandSpec().qualifiedName();
    // --json may come after the error, where the parser never got to it.
    boolean json = global.json || Arrays.asList(args).contains("--json");
    String hint = "see '" + command + " --help'";
    if (ex instanceof UnmatchedArgumentException unmatched && !unmatched.getSuggestions().isEmpty()) {
      hint = "did you mean " + String.join(" or ", unmatched.getSuggestions()) + "? " + hint;
    }
    return report(ExitCodes.USAGE, ex.getMessage() + " (" + hint + ")", json);
  }

  /** A command that failed while running. */
  @Override
  public int handleExecutionException(Exception ex, CommandLine commandLine, ParseResult parseResult) {
    int code = ExitCodes.of(ex);
    if (code == ExitCodes.INTERNAL) {
      return unexpected(ex);
    }
    return report(code, ex.getMessage() == null ? ex.toString() : ex.getMessage(), global.json);
  }

  /**
   * A failure no exit code describes: a bug, or a JVM that cannot run Arrow (an {@code Error} from
   * a static initializer, which picocli does not catch). The causes' messages are included, since
   * the useful one is often deep (Arrow's "start Java with --add-opens ..." for instance).
   */
  int unexpected(Throwable error) {
    StringBuilder message = new StringBuilder("unexpected error: ").append(error);
    Throwable cause = error.getCause();
    for (int depth = 0; cause != null && depth < 8; depth++, cause = cause.getCause()) { // a cycle stops too
      message.append("; caused by ").append(cause);
    }
    boolean debug = session.env("QUIVER_DEBUG") != null;
    message.append(debug ? " (a bug? please report it)" : " (a bug? please report it, with the stack trace QUIVER_DEBUG=1 prints)");
    if (debug) {
      StringWriter trace = new StringWriter();
      error.printStackTrace(new PrintWriter(trace));
      session.err().print(trace);
    }
    return report(ExitCodes.INTERNAL, message.toString(), global.json);
  }

  private int report(int code, String message, boolean json) {
    session.err().println("quiver: " + message.replace('\n', ' '));
    session.err().flush();
    if (json) {
      Json.print(session.out(), Json.object().put("error", message).put("kind", ExitCodes.kind(code))
          .put("exit_code", code));
    }
    return code;
  }
}
