package dev.quiver.client.upload;

import dev.quiver.client.Cancellation;
import dev.quiver.client.LocalIoException;
import dev.quiver.client.TransferCancelledException;
import dev.quiver.client.UploadOptions;
import dev.quiver.client.UploadResult;
import dev.quiver.client.internal.Connection;
import dev.quiver.client.internal.Errors;
import dev.quiver.client.internal.ProgressCounter;
import dev.quiver.protocol.DatasetName;
import dev.quiver.protocol.UploadRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.arrow.flight.AsyncPutListener;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.PutResult;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Uploads record batches held in memory through arrow-java's {@code FlightClient.startPut}: from an
 * {@link ArrowReader} (dictionaries included) or from an iterator of {@link VectorSchemaRoot}s.
 *
 * <p>Internal: use {@link dev.quiver.client.QuiverClient#upload}.
 */
public final class ReaderUploader {
  private final Connection connection;
  private final DatasetName dataset;
  private final UploadOptions options;
  private final String what;

  public ReaderUploader(Connection connection, DatasetName dataset, UploadOptions options) {
    this.connection = connection;
    this.dataset = dataset;
    this.options = options;
    this.what = "upload of dataset '" + dataset + "'";
  }

  /** Sends every batch of {@code reader}; the reader stays open (its owner closes it). */
  public UploadResult upload(ArrowReader reader) {
    try {
      VectorSchemaRoot root = reader.getVectorSchemaRoot();
      // The put sends the reader's dictionaries once, as they are after the first batch is loaded (a
      // stream reader loads them only then). A later replacement or delta cannot be sent: refuse it
      // rather than store batches whose indices point into the wrong dictionary.
      List<List<ArrowBuf>> sent = new ArrayList<>();
      return send(root, reader, () -> {
        boolean loaded = reader.loadNextBatch();
        List<List<ArrowBuf>> now = dictionaryBuffers(reader);
        if (sent.isEmpty()) {
          sent.addAll(now);
        } else if (!sameBuffers(sent, now)) {
          throw new IllegalArgumentException("the reader replaced or extended a dictionary after the first batch,"
              + " which a Flight upload from an ArrowReader cannot send; upload the IPC file itself"
              + " (upload(Path, ...)) to keep every dictionary");
        }
        return loaded;
      });
    } catch (IOException e) {
      throw new LocalIoException(what + " failed reading the batches: " + e.getMessage(), e);
    }
  }

  /** Sends each root of {@code batches}, which must all have {@code schema}. */
  public UploadResult upload(Schema schema, Iterator<VectorSchemaRoot> batches) {
    // The put root takes references to the caller's buffers, which arrow-java allows only between
    // allocators of one root allocator: create it where the caller's first batch lives.
    VectorSchemaRoot[] first = {batches.hasNext() ? batches.next() : null};
    BufferAllocator allocator = first[0] == null || first[0].getFieldVectors().isEmpty() ? connection.allocator()
        : first[0].getFieldVectors().get(0).getAllocator();
    try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
      VectorLoader loader = new VectorLoader(root);
      return send(root, null, () -> {
        VectorSchemaRoot next = first[0];
        first[0] = null;
        if (next == null) {
          if (!batches.hasNext()) {
            return false;
          }
          next = batches.next();
        }
        if (!next.getSchema().equals(schema)) {
          throw new IllegalArgumentException("a batch has schema " + next.getSchema() + ", not " + schema);
        }
        // Moves buffer references, not bytes: the put root shares the caller's buffers for this batch.
        try (ArrowRecordBatch batch = new VectorUnloader(next).getRecordBatch()) {
          loader.load(batch);
        }
        return true;
      });
    } catch (IOException e) {
      throw new LocalIoException(what + " failed reading the batches: " + e.getMessage(), e);
    }
  }

  private interface NextBatch {
    boolean load() throws IOException;
  }

  private UploadResult send(VectorSchemaRoot root, org.apache.arrow.vector.dictionary.DictionaryProvider dictionaries,
      NextBatch next) throws IOException {
    ProgressCounter progress = new ProgressCounter(options.progress(), -1, -1);
    UploadAcks acks = new UploadAcks(progress);
    AsyncPutListener listener = new AsyncPutListener() {
      @Override
      public void onNext(PutResult result) {
        ArrowBuf metadata = result.getApplicationMetadata();
        if (metadata != null) {
          byte[] bytes = new byte[(int) metadata.readableBytes()];
          metadata.getBytes(0, bytes);
          acks.accept(bytes);
        }
      }
    };
    UploadRequest request = new UploadRequest(dataset, options.mode(), options.compression());
    FlightDescriptor descriptor = FlightDescriptor.command(request.toJson().getBytes(StandardCharsets.UTF_8));
    Cancellation cancellation = options.cancellation();
    boolean more;
    try {
      more = !cancellation.isCancelled() && next.load(); // before the put starts: see upload(ArrowReader)
    } catch (IllegalArgumentException e) {
      throw new dev.quiver.client.InvalidRequestException(what + " failed: " + e.getMessage(), e);
    }
    FlightClient.ClientStreamListener stream;
    try {
      stream = dictionaries == null
          ? connection.flight().startPut(descriptor, root, listener, connection.transferOptions())
          : connection.flight().startPut(descriptor, root, dictionaries, listener, connection.transferOptions());
    } catch (RuntimeException e) {
      throw Errors.translate(e, what, connection.target());
    }
    try (Cancellation.Registration ignored = cancellation.onCancel(
        () -> stream.error(new RuntimeException("cancelled by the client")))) {
      while (more) {
        stream.putNext();
        more = !cancellation.isCancelled() && next.load();
      }
      if (cancellation.isCancelled()) {
        throw new TransferCancelledException(what + " was cancelled; nothing was stored", null);
      }
      stream.completed();
      listener.getResult();
      return acks.result(what);
    } catch (IOException e) {
      stream.error(e); // reading the batches failed: end the call, so the server discards the upload
      throw e;
    } catch (RuntimeException e) {
      stream.error(e); // a no-op if the call already ended
      if (cancellation.isCancelled()) {
        throw new TransferCancelledException(what + " was cancelled; nothing was stored", e);
      }
      if (e instanceof IllegalArgumentException) {
        throw new dev.quiver.client.InvalidRequestException(what + " failed: " + e.getMessage(), e);
      }
      throw Errors.translate(e, what, connection.target());
    }
  }

  /** The buffers of each dictionary of {@code provider}: a reader loading a dictionary message replaces them. */
  private static List<List<ArrowBuf>> dictionaryBuffers(org.apache.arrow.vector.dictionary.DictionaryProvider provider) {
    List<List<ArrowBuf>> out = new ArrayList<>();
    for (long id : new java.util.TreeSet<>(provider.getDictionaryIds())) {
      out.add(provider.lookup(id).getVector().getFieldBuffers());
    }
    return out;
  }

  private static boolean sameBuffers(List<List<ArrowBuf>> a, List<List<ArrowBuf>> b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      if (a.get(i).size() != b.get(i).size()) {
        return false;
      }
      for (int j = 0; j < a.get(i).size(); j++) {
        if (a.get(i).get(j) != b.get(i).get(j)) {
          return false;
        }
      }
    }
    return true;
  }
}
