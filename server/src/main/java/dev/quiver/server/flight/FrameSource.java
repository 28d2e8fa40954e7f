package dev.quiver.server.flight;

import dev.quiver.server.catalog.DatasetUnreadableException;
import dev.quiver.server.ipc.IpcFormatException;
import dev.quiver.server.ipc.IpcMessage;
import dev.quiver.server.ipc.MappedFile;
import dev.quiver.server.ipc.Projection;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.OptionalLong;

/**
 * The frames of one DoGet, made one at a time as gRPC asks for them: the schema first, then each
 * dictionary and record batch of the plan. Unprojected messages are the file's own header plus a
 * pointer to the file's body; projected batches get a rebuilt header and a sliced body. Before a
 * frame points into a file, the file is checked not to have been truncated in place.
 */
final class FrameSource implements Iterator<FlightFrame> {
  /** Room left in a 2 GiB gRPC message for the protobuf framing around header and body. */
  private static final long MAX_MESSAGE_BYTES = Integer.MAX_VALUE - 1024;

  private final DatasetSelection selection;
  private final List<IpcMessage> plan;
  private final Projection projection; // null: batches go out as stored
  private final boolean copyBodies;
  private long lastRows = -1;
  private boolean schemaSent;
  private int next;

  /**
   * @param copyBodies copy each body out of the mapping ({@link BodyCopy}) instead of handing gRPC
   *                   the mapping itself; the caller then releases each frame once gRPC took it
   */
  FrameSource(DatasetSelection selection, boolean copyBodies) {
    this.selection = selection;
    this.plan = selection.plan();
    this.projection = selection.projection().orElse(null);
    this.copyBodies = copyBodies;
  }

  /** Whether the frame last returned by {@link #next()} was a record batch. */
  boolean lastWasRecordBatch() {
    return lastRows >= 0;
  }

  /** Rows of the record batch last returned by {@link #next()}. */
  long lastRows() {
    return lastRows;
  }

  @Override
  public boolean hasNext() {
    return !schemaSent || next < plan.size();
  }

  @Override
  public FlightFrame next() {
    if (!schemaSent) {
      schemaSent = true;
      lastRows = -1;
      return FlightFrame.headerOnly(selection.schemaHeader());
    }
    if (next >= plan.size()) {
      throw new NoSuchElementException();
    }
    IpcMessage message = plan.get(next++);
    lastRows = message.isRecordBatch() ? message.rows() : -1;
    FlightFrame frame;
    if (message.isRecordBatch() && projection != null) {
      frame = project(message);
    } else {
      frame = FlightFrame.ofFileRange(
          message.header(), selection.dataset().file(message.part()), message.bodyOffset(), message.bodyLength());
    }
    if (frame.header().length + frame.bodyLength() > MAX_MESSAGE_BYTES) {
      throw new FlightErrors.MessageTooLargeException(
          "dataset '" + selection.dataset().name() + "' has a " + frame.bodyLength()
              + "-byte batch, larger than gRPC's 2 GiB message limit; ask for fewer columns or rewrite"
              + " the file with smaller record batches");
    }
    // One stat per frame: a file truncated in place (by another program) fails the stream here,
    // with a status that says so, instead of making the socket write of its vanished pages fail
    // (EFAULT), which closes the whole connection and every other stream on it.
    checkNotTruncated(frame.file());
    if (!copyBodies) {
      return frame;
    }
    try {
      return frame.withCopiedBody();
    } catch (InternalError e) {
      // The JVM's report of SIGBUS in the copy: the file was truncated after the check above.
      checkNotTruncated(frame.file());
      throw e;
    }
  }

  private void checkNotTruncated(MappedFile file) {
    if (file == null) {
      return;
    }
    OptionalLong size = file.truncatedSize();
    if (size.isPresent()) {
      throw new ServedFileTruncatedException("DoGet of dataset '" + selection.dataset().name() + "' stopped: its file '"
          + file.path().getFileName() + "' was truncated in place from " + file.size() + " to " + size.getAsLong()
          + " bytes while being served. Another program rewrote it; replace dataset files by renaming a complete new"
          + " file over them instead");
    }
  }

  private FlightFrame project(IpcMessage message) {
    try {
      Projection.ProjectedBatch batch = projection.project(message, "record batch " + (next - 1));
      return new FlightFrame(batch.header(), selection.dataset().file(message.part()), batch.body(), batch.bodyLength());
    } catch (IpcFormatException e) {
      throw new UnreadableDuringStream(new DatasetUnreadableException(
          selection.dataset().name(), selection.dataset().path().getFileName().toString(), e));
    }
  }

  /** A served file shrank under the stream: what is left to send is no longer there. */
  static final class ServedFileTruncatedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ServedFileTruncatedException(String message) {
      super(message);
    }
  }

  /** Carries a checked {@link DatasetUnreadableException} out of the iterator. */
  static final class UnreadableDuringStream extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UnreadableDuringStream(DatasetUnreadableException cause) {
      super(cause);
    }
  }
}
