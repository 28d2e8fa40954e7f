package dev.quiver.server.reliability;

import io.grpc.Status;

/**
 * One row of the bad-input matrix: what is sent, over which call, and the status it must get.
 *
 * @param group    what kind of input (tickets, names, uploads...), a section of the document
 * @param input    the input, as the document shows it
 * @param rpc      the Flight call it is sent with
 * @param expected the status code it must get
 * @param fragment text the status description must contain
 * @param dataset  the dataset the input is about, which the description must name; null if none
 * @param probe    sends it and returns what came back
 */
record BadInput(String group, String input, String rpc, Status.Code expected, String fragment, String dataset,
    Probe probe) {

  @FunctionalInterface
  interface Probe {
    RawFlight.Outcome run() throws Exception;
  }

  /** Starts a row; {@link Builder#expect} completes it. */
  static Builder of(String group, String input, String rpc) {
    return new Builder(group, input, rpc);
  }

  record Builder(String group, String input, String rpc) {
    Expectation expect(Status.Code code, String fragment) {
      return new Expectation(this, code, fragment, null);
    }
  }

  record Expectation(Builder row, Status.Code code, String fragment, String dataset) {
    /** The description must also name {@code name}. */
    Expectation naming(String name) {
      return new Expectation(row, code, fragment, name);
    }

    BadInput by(Probe probe) {
      return new BadInput(row.group(), row.input(), row.rpc(), code, fragment, dataset, probe);
    }
  }
}
