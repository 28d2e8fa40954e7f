package dev.quiver.cli;

import java.lang.reflect.Method;
import picocli.CommandLine.Option;

/**
 * {@code --progress} / {@code --no-progress} of the transfer commands. By default the bar is drawn
 * only for a person watching: when the console is a terminal and the output is not {@code --json}
 * (a script gains nothing from carriage returns in its logs).
 */
final class ProgressOptions {
  @Option(names = "--progress", negatable = true, defaultValue = Option.NULL_VALUE,
      description = "Show (or never show) a progress line on stderr. Default: only on a terminal, and not"
          + " with --json.")
  Boolean progress;

  ProgressBar bar(Session session, boolean json) {
    boolean show = progress != null ? progress : !json && interactive();
    return show ? new ProgressBar(session.err()) : ProgressBar.NONE;
  }

  /**
   * Whether a person is at a terminal. Java cannot ask about stderr alone; {@code System.console()}
   * is null when stdin or stdout is redirected on JDK 17. From JDK 22 it is never null, and
   * {@code Console.isTerminal()} (called reflectively, this code targets 17) says what 17 said.
   */
  static boolean interactive() {
    java.io.Console console = System.console();
    if (console == null) {
      return false;
    }
    try {
      Method isTerminal = java.io.Console.class.getMethod("isTerminal");
      return (Boolean) isTerminal.invoke(console);
    } catch (NoSuchMethodException e) {
      return true; // JDK < 22: a console exists only on a terminal
    } catch (ReflectiveOperationException | RuntimeException e) {
      return false;
    }
  }
}
