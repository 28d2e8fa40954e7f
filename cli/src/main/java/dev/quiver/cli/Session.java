package dev.quiver.cli;

import java.io.PrintStream;
import java.util.Map;

/**
 * What one run of {@code quiver} talks to: its output streams, its environment and how it hears of
 * Ctrl-C. Passed in rather than taken from {@code System}, so tests run commands in-process with
 * captured output and a chosen environment.
 *
 * @param out        results (tables, summaries, JSON)
 * @param err        errors and the progress bar
 * @param env        environment variables (QUIVER_SERVER, QUIVER_TOKEN, QUIVER_PASSWORD)
 * @param interrupts cancels transfers when the user interrupts the command
 */
record Session(PrintStream out, PrintStream err, Map<String, String> env, Interrupts interrupts) {
  /** An environment variable, or null if unset or empty (an empty QUIVER_TOKEN means no token). */
  String env(String name) {
    String value = env.get(name);
    return value == null || value.isEmpty() ? null : value;
  }
}
