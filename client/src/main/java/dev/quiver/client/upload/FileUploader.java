package dev.quiver.client.upload;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.quiver.client.Cancellation;
import dev.quiver.client.LocalIoException;
import dev.quiver.client.TransferCancelledException;
import dev.quiver.client.UploadOptions;
import dev.quiver.client.UploadResult;
import dev.quiver.client.internal.Connection;
import dev.quiver.client.internal.Errors;
import dev.quiver.client.internal.ProgressCounter;
import dev.quiver.client.ipc.IpcMessage;
import dev.quiver.protocol.DatasetName;
import dev.quiver.protocol.UploadRequest;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.apache.arrow.flight.impl.Flight;

/**
 * Uploads a local IPC file by sending its messages as they are stored: each {@code FlightData}
 * carries the message's header and a buffer over its body in the file's memory mapping (protobuf
 * wraps it without copying; gRPC copies it once into its send buffers). Sends only while gRPC's
 * outbound queue has room, so memory stays flat whatever the file size.
 *
 * <p>Internal: use {@link dev.quiver.client.QuiverClient#upload(Path, String, UploadOptions)}.
 */
public final class FileUploader {
  private final Connection connection;
  private final DatasetName dataset;
  private final Path file;
  private final UploadOptions options;
  private final String what;

  public FileUploader(Connection connection, DatasetName dataset, Path file, UploadOptions options) {
    this.connection = connection;
    this.dataset = dataset;
    this.file = file;
    this.options = options;
    this.what = "upload of " + file + " as dataset '" + dataset + "'";
  }

  public UploadResult run() {
    if (!Files.isRegularFile(file)) {
      throw new LocalIoException(what + " failed: " + file + " is not a file", null);
    }
    try (LocalIpcFile local = LocalIpcFile.open(file)) {
      List<LocalIpcFile.Message> messages = local.messages();
      return send(messages);
    } catch (IOException e) {
      throw new LocalIoException(what + " failed: " + e.getMessage(), e);
    }
  }

  private UploadResult send(List<LocalIpcFile.Message> messages) {
    long totalBytes = 0;
    long totalRows = 0;
    for (LocalIpcFile.Message m : messages) {
      totalBytes += m.header().remaining() + m.body().remaining();
      totalRows += m.info().kind() == IpcMessage.Kind.RECORD_BATCH ? m.info().rows() : 0;
    }
    ProgressCounter progress = new ProgressCounter(options.progress(), totalBytes, totalRows);
    UploadAcks acks = new UploadAcks(progress);
    Call call = new Call(acks);
    Cancellation cancellation = options.cancellation();
    connection.asyncStub().doPut(call);
    try (Cancellation.Registration ignored = cancellation.onCancel(() -> call.cancel("cancelled by the client"))) {
      UploadRequest request = new UploadRequest(dataset, options.mode(), options.compression());
      Flight.FlightDescriptor descriptor = Flight.FlightDescriptor.newBuilder()
          .setType(Flight.FlightDescriptor.DescriptorType.CMD)
          .setCmd(ByteString.copyFrom(request.toJson(), StandardCharsets.UTF_8)).build();
      boolean first = true;
      for (LocalIpcFile.Message message : messages) {
        call.awaitReady();
        if (cancellation.isCancelled() || call.done.isDone()) {
          break;
        }
        Flight.FlightData.Builder data = Flight.FlightData.newBuilder()
            .setDataHeader(ByteString.copyFrom(message.header().duplicate()))
            .setDataBody(UnsafeByteOperations.unsafeWrap(message.body().duplicate()));
        if (first) {
          data.setFlightDescriptor(descriptor);
          first = false;
        }
        call.requests.onNext(data.build());
        progress.addBytes(message.header().remaining() + message.body().remaining());
      }
      if (cancellation.isCancelled()) {
        call.cancel("cancelled by the client");
        throw new TransferCancelledException(what + " was cancelled; nothing was stored", null);
      }
      if (!call.done.isDone()) {
        call.requests.onCompleted();
      }
      call.done.get();
      return acks.result(what);
    } catch (ExecutionException e) {
      if (cancellation.isCancelled()) {
        throw new TransferCancelledException(what + " was cancelled; nothing was stored", e.getCause());
      }
      throw Errors.translate(e.getCause(), what, connection.target());
    } catch (InterruptedException e) {
      call.cancel("interrupted");
      Thread.currentThread().interrupt();
      throw new TransferCancelledException(what + " was interrupted; nothing was stored", e);
    }
  }

  /** The DoPut call: its request side with gRPC's readiness, its responses and end. */
  private static final class Call implements ClientResponseObserver<Flight.FlightData, Flight.PutResult> {
    private final UploadAcks acks;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final Object readiness = new Object();
    private ClientCallStreamObserver<Flight.FlightData> requests;

    Call(UploadAcks acks) {
      this.acks = acks;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<Flight.FlightData> requestStream) {
      requests = requestStream;
      requestStream.setOnReadyHandler(() -> {
        synchronized (readiness) {
          readiness.notifyAll();
        }
      });
    }

    /** Blocks until gRPC can take another message or the call ended. */
    void awaitReady() throws InterruptedException {
      synchronized (readiness) {
        while (!requests.isReady() && !done.isDone()) {
          readiness.wait(100);
        }
      }
    }

    void cancel(String why) {
      if (requests != null) {
        requests.cancel(why, null);
      }
    }

    @Override
    public void onNext(Flight.PutResult result) {
      acks.accept(result.getAppMetadata().toByteArray());
    }

    @Override
    public void onError(Throwable t) {
      done.completeExceptionally(t);
      synchronized (readiness) {
        readiness.notifyAll();
      }
    }

    @Override
    public void onCompleted() {
      done.complete(null);
      synchronized (readiness) {
        readiness.notifyAll();
      }
    }
  }
}
