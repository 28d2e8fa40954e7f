package dev.quiver.server.flight;

import dev.quiver.server.ipc.MappedFile;
import dev.quiver.server.telemetry.CallReport;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
  private static final Logger log = LoggerFactory.getLogger(DoGetStream.class);
  private static final AtomicInteger ACTIVE = new AtomicInteger();
  // Added to by every frame of every stream: a LongAdder, so concurrent streams do not contend on it.
  private static final LongAdder BYTES_SENT = new LongAdder();

  private final ServerCallStreamObserver<FlightFrame> call;
  private final DatasetSelection selection;
  private final FrameSource frames;
  private final CallReport report;
  // gRPC runs the ready and cancel handlers one at a time; volatile only makes that explicit.
  private volatile boolean finished;

  /** @param copyBodies send copies of the bodies instead of the mapping ({@link BodyCopy}: with TLS) */
  DoGetStream(ServerCallStreamObserver<FlightFrame> call, DatasetSelection selection, CallReport report,
      boolean copyBodies) {
    this.call = call;
    this.report = report;
    this.selection = selection;
    this.frames = new FrameSource(selection, copyBodies);
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
        try {
          call.onNext(frame); // serializes at once: gRPC holds its own reference to a copied body
        } finally {
          frame.release();
        }
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
    if (cause instanceof FrameSource.ServedFileTruncatedException) {
      log.warn(cause.getMessage());
    }
    call.onError(FlightErrors.toGrpc(cause, "DoGet of dataset '" + selection.dataset().name() + "'"));
  }

  private void cancelled() {
    if (!finished) {
      logIfTruncated();
    }
    finish();
  }

  /**
   * A file truncated in place under frames already queued makes the socket write of their pages
   * fail (EFAULT), and Netty closes the connection: the client sees UNAVAILABLE, gRPC cancels the
   * call. Say why in the log, since nothing else will.
   */
  private void logIfTruncated() {
    var dataset = selection.dataset();
    for (int part = 0; part < dataset.partCount(); part++) {
      MappedFile file = dataset.file(part);
      OptionalLong size = file.truncatedSize();
      if (size.isPresent()) {
        log.warn("DoGet of dataset '{}' was cut off: its file '{}' was truncated in place from {} to {} bytes while"
            + " being served, so sending what was queued failed and the connection was closed. Replace dataset files"
            + " by renaming a complete new file over them instead", dataset.name(), file.path().getFileName(),
            file.size(), size.getAsLong());
      }
    }
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
