package dev.quiver.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Runs {@code quiver} in-process with captured stdout and stderr, a chosen environment and Ctrl-C source. */
final class Cli {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** No Ctrl-C ever. */
  static final Interrupts NEVER = cancellation -> { };

  /** What one run printed and returned. */
  record Result(int exitCode, String out, String err) {
    /** stdout parsed as one JSON document (fails the test if it is not exactly that). */
    JsonNode json() {
      try {
        return JSON.readTree(out);
      } catch (IOException e) {
        throw new UncheckedIOException("stdout is not JSON: " + out, e);
      }
    }

    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  private Cli() {}

  static Result run(Map<String, String> env, Interrupts interrupts, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
         PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      code = Main.run(args, new Session(o, e, env, interrupts));
    }
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static Result run(String... args) {
    return run(Map.of(), NEVER, args);
  }
}
