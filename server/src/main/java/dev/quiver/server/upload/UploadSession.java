package dev.quiver.server.upload;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import dev.quiver.protocol.DatasetName;
import dev.quiver.protocol.ProtocolException;
import dev.quiver.protocol.UploadRequest;
import dev.quiver.server.auth.Access;
import dev.quiver.server.auth.Scope;
import dev.quiver.server.ipc.BatchCompressor;
import dev.quiver.server.ipc.IpcFormatException;
import dev.quiver.server.ipc.IpcMessage;
import dev.quiver.server.ipc.IpcSchema;
import dev.quiver.server.ipc.MessageValidator;
import dev.quiver.server.telemetry.CallReport;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.memory.BufferAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One DoPut, from its first message to the published dataset. Messages are checked and appended
 * to a temporary IPC file as they arrive, header and body bytes as received (no vectors are
 * built); on a clean end of stream the file gets its footer, is fsynced and handed to
 * {@link DatasetStore#publish}. Any failure (a bad message, a limit, the client going away)
 * deletes the temporary files: nothing of a failed upload is ever visible.
 *
 * <p>A stream may replace a dictionary between batches (pyarrow does for a table whose chunks
 * have different dictionaries); an IPC file cannot, since it holds one dictionary per id plus
 * deltas. A replacement therefore ends the current file and starts the next, beginning with the
 * dictionaries still in force, and the files are published together as the parts of one dataset.
 *
 * <p>Acknowledgements ({@code PutResult.app_metadata}, JSON): one per stored batch,
 * {@code {"batches": n, "rows": r}}, and a final one when the dataset is durable:
 * {@code {"dataset": ..., "mode": ..., "batches": n, "rows": r, "bytes": b, "parts": p, "durable": true}}.
 */
public final class UploadSession {
  private static final Logger log = LoggerFactory.getLogger(UploadSession.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Where results and the final status go. */
  public interface Replies {
    void ack(byte[] appMetadata);

    void done();
  }

  private final DatasetStore store;
  private final UploadLimits limits;
  private final BufferAllocator allocator;
  private final Replies replies;

  private UploadRequest request;
  private IpcSchema schema;
  private StagedPart part;
  private final List<StagedPart> finishedParts = new ArrayList<>();
  private final DictionariesInForce dictionaries = new DictionariesInForce();
  private BatchCompressor compressor;
  private long received;
  private long rows;
  private int batches;
  private long bytes;
  private boolean finished;
  private final CallReport report = CallReport.current();
  private static final AtomicLong BYTES_IN_PROGRESS = new AtomicLong();
  private boolean counted = true; // whether `received` is still part of BYTES_IN_PROGRESS

  public UploadSession(DatasetStore store, UploadLimits limits, BufferAllocator allocator, Replies replies) {
    this.store = store;
    this.limits = limits;
    this.allocator = allocator;
    this.replies = replies;
  }

  /** The dataset being uploaded, once the first message named it. */
  public DatasetName dataset() {
    return request == null ? null : request.dataset();
  }

  /**
   * Takes one incoming message. Throws (after cleaning up) if the upload must stop. The message's
   * body may live in a buffer the DoPut parser reuses for the next message, so everything is done
   * with it (written or compressed) before this returns; nothing here keeps a reference.
   */
  public void accept(Flight.FlightData data) throws Exception {
    if (finished) {
      return;
    }
    try {
      if (request == null) {
        start(data);
      }
      ByteString header = data.getDataHeader();
      ByteString body = data.getDataBody();
      if (header.isEmpty()) {
        if (!body.isEmpty()) {
          throw new ProtocolException("dataset '" + request.dataset() + "': a message with a body but no IPC header");
        }
        return; // a metadata-only message: nothing to store
      }
      received += header.size() + body.size();
      BYTES_IN_PROGRESS.addAndGet(header.size() + body.size());
      if (received > limits.maxUploadBytes()) {
        throw new UploadRejectedException("upload of dataset '" + request.dataset() + "' exceeds the server's limit of "
            + limits.maxUploadBytes() + " bytes");
      }
      if (schema == null) {
        report.bytes(header.size() + body.size());
        openFile(header.toByteArray());
      } else {
        store(header.toByteArray(), body);
      }
    } catch (IOException e) {
      Exception reported = rejectedIfDiskFull(e); // before abort() frees the space
      abort();
      throw reported;
    } catch (Exception | Error e) {
      abort();
      throw e;
    }
  }

  /** {@code e} as RESOURCE_EXHAUSTED naming the dataset if the disk is full, else {@code e} itself. */
  private Exception rejectedIfDiskFull(IOException e) {
    if (e instanceof IpcFormatException || !DiskFull.explains(e, store.staging().directory().getParent())) {
      return e;
    }
    UploadRejectedException rejected = new UploadRejectedException("not storing dataset '" + dataset()
        + "': the data root's filesystem is full (" + DiskFull.reason(e) + "); nothing of the upload was kept");
    rejected.initCause(e);
    return rejected;
  }

  private void start(Flight.FlightData data) throws UploadRejectedException, IOException {
    if (!data.hasFlightDescriptor()) {
      throw new ProtocolException("the first message of a DoPut must carry a descriptor naming the dataset");
    }
    Flight.FlightDescriptor descriptor = data.getFlightDescriptor();
    request = switch (descriptor.getType()) {
      case PATH -> UploadRequest.create(DatasetName.of(descriptor.getPathList()));
      case CMD -> UploadRequest.parseCommand(descriptor.getCmd().toByteArray());
      default -> throw new ProtocolException("DoPut needs a path descriptor or a command descriptor with upload options");
    };
    report.dataset(request.dataset());
    Access.require(Scope.WRITE, request.dataset());
    checkFreeSpace();
  }

  private void checkFreeSpace() throws UploadRejectedException, IOException {
    long free = Files.getFileStore(store.staging().directory().getParent()).getUsableSpace();
    if (free < limits.minFreeDiskBytes()) {
      throw new UploadRejectedException("not storing dataset '" + request.dataset() + "': the data root has "
          + free + " bytes free, below the configured reserve of " + limits.minFreeDiskBytes());
    }
  }

  private void openFile(byte[] header) throws Exception {
    try {
      schema = MessageValidator.schema(header);
    } catch (IpcFormatException e) {
      throw new ProtocolException("dataset '" + request.dataset() + "': invalid schema message: " + e.getMessage(), e);
    }
    store.checkCanStart(request, schema);
    part = StagedPart.open(store.staging(), schema);
    if (request.compression() != UploadRequest.Compression.NONE) {
      compressor = new BatchCompressor(allocator, request.compression() == UploadRequest.Compression.ZSTD);
    }
  }

  private void store(byte[] header, ByteString body) throws Exception {
    String where = "message " + (batches + 1);
    MessageValidator.Checked checked;
    try {
      checked = MessageValidator.check(schema, header, body.size(), where);
    } catch (IpcFormatException e) {
      throw new ProtocolException("dataset '" + request.dataset() + "': " + e.getMessage(), e);
    }
    if (checked.kind() == IpcMessage.Kind.DICTIONARY_BATCH) {
      byte[] copy = body.toByteArray();
      if (!checked.delta() && dictionaries.contains(checked.dictionaryId())) {
        // An IPC file holds one dictionary per id (plus deltas): a replacement starts the next part.
        startNextPart(checked.dictionaryId());
      }
      report.bytes(header.length + copy.length);
      dictionaries.add(checked.dictionaryId(), checked.delta(), header, copy);
      part.writeDictionary(header, List.of(ByteBuffer.wrap(copy)), copy.length);
      return;
    }
    for (long id : schema.dictionaryIds()) {
      if (!dictionaries.contains(id)) {
        // Stored without it, the file would be published but unreadable (found by the bad-input matrix).
        throw new ProtocolException("dataset '" + request.dataset() + "': " + where + " is a record batch, but the"
            + " dictionary with id " + id + " that the schema uses was not sent before it");
      }
    }
    if (compressor != null && !checked.compressed()) {
      BatchCompressor.Compressed compressed = compressor.compress(header, body.asReadOnlyByteBuffer(), where);
      part.writeBatch(compressed.header(), compressed.body(), compressed.bodyLength());
    } else {
      part.writeBatch(header, body.asReadOnlyByteBufferList(), body.size());
    }
    batches++;
    rows += checked.rows();
    report.batch(checked.rows(), header.length + body.size());
    if (batches % 64 == 0) {
      checkFreeSpace();
    }
    ObjectNode ack = JSON.createObjectNode().put("batches", batches).put("rows", rows);
    replies.ack(JSON.writeValueAsBytes(ack));
  }

  /**
   * Ends the current part and opens the next, which starts with every dictionary in force except
   * {@code replaced} (whose replacement the caller writes next). A part without record batches
   * holds nothing a reader needs and is dropped instead of kept.
   */
  private void startNextPart(long replaced) throws IOException {
    endPart(false);
    part = StagedPart.open(store.staging(), schema);
    for (DictionariesInForce.Message message : dictionaries.inForceExcept(replaced)) {
      part.writeDictionary(message.header(), List.of(ByteBuffer.wrap(message.body())), message.body().length);
    }
  }

  /** Completes the current part, or drops it if it has no record batches and {@code keepEmpty} is false. */
  private void endPart(boolean keepEmpty) throws IOException {
    StagedPart ending = part;
    part = null;
    if (ending.batches() == 0 && !keepEmpty) {
      ending.discard();
      return;
    }
    finishedParts.add(ending); // from here abort() deletes it
    bytes += ending.finish();
  }

  /** The client finished sending: complete, fsync and publish the dataset, then send the final ack. */
  public void complete() throws Exception {
    if (finished) {
      return;
    }
    try {
      if (request == null || schema == null) {
        throw new ProtocolException("DoPut ended before a schema message arrived: nothing to store");
      }
      endPart(finishedParts.isEmpty()); // a stream without batches still makes an (empty) dataset
      List<Path> files = finishedParts.stream().map(StagedPart::path).toList();
      DatasetStore.Published published = store.publish(request, files, schema);
      finishedParts.clear();
      finished = true;
      DatasetStore.logPublished(published);
      ObjectNode ack = JSON.createObjectNode()
          .put("dataset", request.dataset().toString())
          .put("mode", request.mode().name().toLowerCase(Locale.ROOT))
          .put("batches", batches)
          .put("rows", rows)
          .put("bytes", bytes)
          .put("parts", published.parts())
          .put("durable", true);
      uncount();
      replies.ack(JSON.writeValueAsBytes(ack));
      replies.done();
    } catch (IOException e) {
      Exception reported = rejectedIfDiskFull(e); // the footer, the fsync or the publication's renames
      abort();
      throw reported;
    } catch (Exception | Error e) {
      abort();
      throw e;
    }
  }

  /** Bytes received by uploads not yet published or abandoned, server-wide (a metric). */
  public static long bytesInProgress() {
    return BYTES_IN_PROGRESS.get();
  }

  private void uncount() {
    if (counted) {
      BYTES_IN_PROGRESS.addAndGet(-received);
      counted = false;
    }
  }

  /** Stops the upload and deletes what was written; safe to call more than once. */
  public void abort() {
    finished = true;
    uncount();
    if (part != null) {
      part.discard();
      part = null;
    }
    finishedParts.forEach(StagedPart::discard);
    finishedParts.clear();
  }
}
