package dev.quiver.server.flight;

import dev.quiver.server.telemetry.CallReport;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Sends one DoGet's frames at the pace the client reads them.
 *
 * <p>Frames are produced only while gRPC says the call is ready ({@code isReady()}: less than the
 * on-ready threshold is queued for the socket); when it is not, the stream simply stops and gRPC
 * calls {@link #pump} again once the client has drained enough. So a slow client costs at most
 * the threshold plus one record batch of queued (mapped, not copied) bytes, and no thread waits.
 *
 * <p>The stream owns its {@link DatasetSelection} and closes it exactly once: on completion, on
 * error, or on cancellation. Buffers already queued in gRPC hold their own references to the
 * mapping, so closing here never unmaps bytes that are still to be written.
 */
final class DoGetStream {
  private static final AtomicInteger ACTIVE = new AtomicInteger();
  // Added to by every frame of every stream: a LongAdder, so concurrent streams do not contend on it.
  private static final LongAdder BYTES_SENT = new LongAdder();

  private final ServerCallStreamObserver<FlightFrame> call;
  private final DatasetSelection selection;
  private final FrameSource frames;
  private final CallReport report;
  // gRPC runs the ready and cancel handlers one at a time; volatile only makes that explicit.
  private volatile boolean finished;

  DoGetStream(ServerCallStreamObserver<FlightFrame> call, DatasetSelection selection, CallReport report) {
    this.call = call;
    this.report = report;
    this.selection = selection;
    this.frames = new FrameSource(selection);
  }

  /** Starts streaming; gRPC runs {@link #pump} whenever the call becomes ready. */
  void start() {
    ACTIVE.incrementAndGet();
    call.setOnCancelHandler(this::cancelled);
    call.setOnReadyHandler(this::pump);
  }

  /** Called by gRPC, serialized with the cancel handler, whenever the call becomes ready. */
  private void pump() {
    if (finished) {
      return;
    }
    try {
      while (call.isReady()) {
        if (!frames.hasNext()) {
          finish();
          call.onCompleted();
          return;
        }
        FlightFrame frame = frames.next();
        call.onNext(frame);
        long bytes = frame.header().length + frame.bodyLength();
        BYTES_SENT.add(bytes);
        if (frames.lastWasRecordBatch()) {
          report.batch(frames.lastRows(), bytes);
        } else {
          report.bytes(bytes);
        }
      }
    } catch (RuntimeException | Error e) {
      fail(e);
    }
  }

  private void fail(Throwable t) {
    if (finished) {
      return;
    }
    finish();
    Throwable cause = t instanceof FrameSource.UnreadableDuringStream u ? u.getCause() : t;
    call.onError(FlightErrors.toGrpc(cause, "DoGet of dataset '" + selection.dataset().name() + "'"));
  }

  private void cancelled() {
    finish();
  }

  private void finish() {
    if (!finished) {
      finished = true;
      ACTIVE.decrementAndGet();
      selection.close();
    }
  }

  /** DoGet streams currently open. */
  static int active() {
    return ACTIVE.get();
  }

  /** Bytes of FlightData headers and bodies handed to gRPC since start. */
  static long bytesSent() {
    return BYTES_SENT.sum();
  }
}
