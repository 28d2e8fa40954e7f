package dev.quiver.server.telemetry;

import dev.quiver.protocol.DatasetName;
import io.grpc.Context;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one call did, filled in by the Flight service as it goes (the dataset, rows, batches and IPC
 * bytes moved) and read by the telemetry interceptor when the call ends, for its metrics and its
 * access-log line. Lives in the call's gRPC context; outside a call {@link #current()} returns an
 * instance that records nothing.
 */
public final class CallReport {
  static final Context.Key<CallReport> KEY = Context.key("quiver-call-report");
  private static final CallReport NONE = new CallReport();

  private volatile String dataset;
  private volatile String principal;
  private volatile String action;
  private final LongAdder rows = new LongAdder();
  private final LongAdder batches = new LongAdder();
  private final LongAdder bytes = new LongAdder();

  /** The current call's report. */
  public static CallReport current() {
    CallReport report = KEY.get();
    return report == null ? NONE : report;
  }

  /** {@code context} with {@code report} as its call report (for the interceptor that creates it). */
  public static Context attach(Context context, CallReport report) {
    return context.withValue(KEY, report);
  }

  /** The dataset the call is about (the first one named, for calls naming two). */
  public void dataset(DatasetName name) {
    if (this != NONE && dataset == null) {
      dataset = name.toString();
    }
  }

  /** Who made the call, once authenticated (set by the authentication interceptor). */
  public void principal(String name) {
    if (this != NONE) {
      principal = name;
    }
  }

  /** The type of a DoAction call's action (set by the telemetry interceptor). */
  void action(String type) {
    if (this != NONE && action == null) {
      action = type;
    }
  }

  /** A record batch of {@code batchRows} rows and {@code batchBytes} IPC bytes was sent or stored. */
  public void batch(long batchRows, long batchBytes) {
    if (this != NONE) {
      rows.add(batchRows);
      batches.increment();
      bytes.add(batchBytes);
    }
  }

  /** IPC bytes that carried no record batch (schema, dictionaries). */
  public void bytes(long n) {
    if (this != NONE) {
      bytes.add(n);
    }
  }

  /** The dataset, or null if the call named none. */
  public String dataset() {
    return dataset;
  }

  /** The authenticated principal's name, or null if the call was not (or not yet) authenticated. */
  public String principal() {
    return principal;
  }

  /** The action type of a DoAction call, or null. */
  public String action() {
    return action;
  }

  public long rows() {
    return rows.sum();
  }

  public long batches() {
    return batches.sum();
  }

  public long bytes() {
    return bytes.sum();
  }
}
