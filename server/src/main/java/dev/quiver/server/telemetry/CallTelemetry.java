package dev.quiver.server.telemetry;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.arrow.flight.impl.Flight;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * The outermost interceptor of the Flight service. It gives each call a fresh {@link CallReport},
 * times it from arrival to its end (the final status sent, or the call cancelled), and then records
 * its metrics and writes one access-log line on the {@code quiver.access} logger. It sees every
 * call, including those refused by authentication or the concurrency limits. Request headers are
 * never logged: they carry credentials.
 */
final class CallTelemetry implements ServerInterceptor {
  static final String ACCESS_LOGGER = "quiver.access";
  private static final Logger access = LoggerFactory.getLogger(ACCESS_LOGGER);
  private static final int MAX_LOGGED_TEXT = 300;
  private static final Duration[] DURATION_BUCKETS = {
      Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
      Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
      Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
      Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMinutes(30)};

  private final MeterRegistry registry;
  private final Map<String, Timer> durations = new ConcurrentHashMap<>();
  private final Counter bytesSent;
  private final Counter bytesReceived;
  private final Counter batchesSent;
  private final Counter batchesReceived;
  private final Counter rowsSent;
  private final Counter rowsReceived;

  CallTelemetry(MeterRegistry registry) {
    this.registry = registry;
    bytesSent = Counter.builder("quiver.sent.bytes").baseUnit("bytes")
        .description("Arrow IPC bytes (message headers and bodies) sent by DoGet").register(registry);
    bytesReceived = Counter.builder("quiver.received.bytes").baseUnit("bytes")
        .description("Arrow IPC bytes (message headers and bodies) received by DoPut").register(registry);
    batchesSent = Counter.builder("quiver.sent.batches")
        .description("Record batches sent by DoGet").register(registry);
    batchesReceived = Counter.builder("quiver.received.batches")
        .description("Record batches received by DoPut").register(registry);
    rowsSent = Counter.builder("quiver.sent.rows")
        .description("Rows sent by DoGet").register(registry);
    rowsReceived = Counter.builder("quiver.received.rows")
        .description("Rows received by DoPut").register(registry);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    CallEnd end = new CallEnd(call, Context.current(), System.nanoTime());
    ServerCall<Q, R> observed = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        end.status = status;
        super.close(status, trailers);
      }
    };
    ServerCall.Listener<Q> listener;
    try {
      listener = Contexts.interceptCall(CallReport.attach(Context.current(), end.report), observed, headers, next);
    } catch (RuntimeException | Error e) {
      end.status = Status.fromThrowable(e);
      end.finish(false);
      throw e;
    }
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onMessage(Q message) {
        if (message instanceof Flight.Action action) {
          end.report.action(truncate(action.getType()));
        }
        super.onMessage(message);
      }

      @Override
      public void onComplete() {
        try {
          super.onComplete();
        } finally {
          end.finish(false);
        }
      }

      @Override
      public void onCancel() {
        try {
          super.onCancel();
        } finally {
          end.finish(true);
        }
      }
    };
  }

  /** One call, from its arrival until it is recorded. */
  private final class CallEnd {
    final ServerCall<?, ?> call;
    final Context context;
    final long startNanos;
    final CallReport report = new CallReport();
    final AtomicBoolean finished = new AtomicBoolean();
    volatile Status status; // as the service closed the call, if it did

    CallEnd(ServerCall<?, ?> call, Context context, long startNanos) {
      this.call = call;
      this.context = context;
      this.startNanos = startNanos;
    }

    void finish(boolean cancelled) {
      if (!finished.compareAndSet(false, true)) {
        return;
      }
      long nanos = System.nanoTime() - startNanos;
      Status closed = status;
      Status outcome;
      if (closed != null && !(cancelled && closed.isOk())) {
        outcome = closed;
      } else if (cancelled) {
        // Cancelled by the client, by its deadline, or by a failed connection (also after an OK
        // status that never reached the client).
        outcome = Contexts.statusFromCancelled(context);
        if (outcome == null) {
          outcome = Status.CANCELLED;
        }
      } else {
        outcome = Status.UNKNOWN; // closed by gRPC itself: the service threw
      }
      record(call, report, outcome, nanos);
    }
  }

  private void record(ServerCall<?, ?> call, CallReport report, Status status, long nanos) {
    String method = call.getMethodDescriptor().getBareMethodName();
    if (method == null) {
      method = call.getMethodDescriptor().getFullMethodName();
    }
    String code = status.getCode().name();
    registry.counter("quiver.calls", "method", method, "status", code).increment();
    durations.computeIfAbsent(method, m -> Timer.builder("quiver.call.duration")
        .description("Duration of Flight calls, from arrival to the final status (whole streams for DoGet and DoPut)")
        .tag("method", m)
        .serviceLevelObjectives(DURATION_BUCKETS)
        .register(registry)).record(nanos, TimeUnit.NANOSECONDS);
    boolean received = method.equals("DoPut");
    long rows = report.rows();
    long batches = report.batches();
    long bytes = report.bytes();
    if (bytes > 0 || batches > 0) {
      (received ? bytesReceived : bytesSent).increment(bytes);
      (received ? batchesReceived : batchesSent).increment(batches);
      (received ? rowsReceived : rowsSent).increment(rows);
    }
    if (access.isInfoEnabled()) {
      logAccess(call, report, method, status, rows, batches, bytes, nanos);
    }
  }

  private static void logAccess(ServerCall<?, ?> call, CallReport report, String method, Status status, long rows,
      long batches, long bytes, long nanos) {
    String peer = peer(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
    String principal = orDash(report.principal());
    String dataset = orDash(report.dataset());
    String action = report.action();
    double millis = nanos / 1e6;
    String duration = String.format(Locale.ROOT, "%.3f", millis);
    String code = status.getCode().name();
    String description = status.getDescription();
    // The status description the client got, for failed calls (never request headers: they carry credentials).
    String error = status.isOk() || description == null || description.isEmpty() ? null : truncate(description);

    StringBuilder line = new StringBuilder(160);
    field(line, "peer", peer);
    field(line, "principal", principal);
    field(line, "method", method);
    if (action != null) {
      field(line, "action", action);
    }
    field(line, "dataset", dataset);
    field(line, "rows", Long.toString(rows));
    field(line, "batches", Long.toString(batches));
    field(line, "bytes", Long.toString(bytes));
    field(line, "duration_ms", duration);
    field(line, "status", code);
    if (error != null) {
      field(line, "error", error);
    }

    LoggingEventBuilder event = access.atInfo()
        .addKeyValue("peer", peer)
        .addKeyValue("principal", principal)
        .addKeyValue("method", method);
    if (action != null) {
      event = event.addKeyValue("action", action);
    }
    event = event.addKeyValue("dataset", dataset)
        .addKeyValue("rows", rows)
        .addKeyValue("batches", batches)
        .addKeyValue("bytes", bytes)
        .addKeyValue("duration_ms", Double.parseDouble(duration))
        .addKeyValue("status", code);
    if (error != null) {
      event = event.addKeyValue("error", error);
    }
    event.log(line.toString());
  }

  /** {@code ip:port} ({@code [ip]:port} for IPv6), or the address's own form for other transports. */
  static String peer(SocketAddress address) {
    if (address instanceof InetSocketAddress inet) {
      String host = inet.getAddress() != null ? inet.getAddress().getHostAddress() : inet.getHostString();
      return (host.contains(":") ? "[" + host + "]" : host) + ":" + inet.getPort();
    }
    return address == null ? "-" : address.toString();
  }

  private static String orDash(String value) {
    return value == null || value.isEmpty() ? "-" : value;
  }

  private static String truncate(String text) {
    return text.length() <= MAX_LOGGED_TEXT ? text : text.substring(0, MAX_LOGGED_TEXT) + "...";
  }

  /** Appends {@code key=value}, quoting the value (logfmt style) when it has spaces, quotes or controls. */
  static void field(StringBuilder line, String key, String value) {
    if (!line.isEmpty()) {
      line.append(' ');
    }
    line.append(key).append('=');
    boolean plain = !value.isEmpty();
    for (int i = 0; i < value.length() && plain; i++) {
      char c = value.charAt(i);
      plain = c > ' ' && c != '"' && c != '=' && c != '\\' && c != 0x7f;
    }
    if (plain) {
      line.append(value);
      return;
    }
    line.append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> line.append("\\\"");
        case '\\' -> line.append("\\\\");
        case '\n' -> line.append("\\n");
        case '\r' -> line.append("\\r");
        case '\t' -> line.append("\\t");
        default -> {
          if (c < ' ' || c == 0x7f) {
            line.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            line.append(c);
          }
        }
      }
    }
    line.append('"');
  }
}
