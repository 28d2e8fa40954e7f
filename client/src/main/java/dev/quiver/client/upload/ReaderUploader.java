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
import java.util.Iterator;
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
      return send(root, reader, () -> reader.loadNextBatch());
    } catch (IOException e) {
      throw new LocalIoException(what + " failed reading the batches: " + e.getMessage(), e);
    }
  }

  /** Sends each root of {@code batches}, which must all have {@code schema}. */
  public UploadResult upload(Schema schema, Iterator<VectorSchemaRoot> batches) {
    BufferAllocator allocator = connection.allocator();
    try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
      VectorLoader loader = new VectorLoader(root);
      return send(root, null, () -> {
        if (!batches.hasNext()) {
          return false;
        }
        VectorSchemaRoot next = batches.next();
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
      while (!cancellation.isCancelled() && next.load()) {
        stream.putNext();
      }
      if (cancellation.isCancelled()) {
        throw new TransferCancelledException(what + " was cancelled; nothing was stored", null);
      }
      stream.completed();
      listener.getResult();
      return acks.result(what);
    } catch (RuntimeException e) {
      if (cancellation.isCancelled()) {
        throw new TransferCancelledException(what + " was cancelled; nothing was stored", e);
      }
      if (e instanceof IllegalArgumentException) {
        stream.error(e);
        throw new dev.quiver.client.InvalidRequestException(what + " failed: " + e.getMessage(), e);
      }
      throw Errors.translate(e, what, connection.target());
    }
  }
}
