package dev.quiver.server.testing;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.flight.impl.Flight;

/**
 * The answer side of a raw DoPut (over the gRPC stub, for messages arrow-java would never send):
 * the acknowledgements' app metadata as text, and the call's final status.
 */
public final class PutCollector implements StreamObserver<Flight.PutResult> {
  /** What a raw DoPut got back: acknowledgements, then the status. */
  public record Outcome(List<String> acks, Status status) {}

  public final List<String> acks = new CopyOnWriteArrayList<>();
  public final CompletableFuture<Status> status = new CompletableFuture<>();

  @Override
  public void onNext(Flight.PutResult result) {
    acks.add(result.getAppMetadata().toStringUtf8());
  }

  @Override
  public void onError(Throwable t) {
    status.complete(Status.fromThrowable(t));
  }

  @Override
  public void onCompleted() {
    status.complete(Status.OK);
  }

  /** Waits for the status (every acknowledgement arrives before it). */
  public Outcome await() throws Exception {
    Status done = status.get(30, TimeUnit.SECONDS);
    return new Outcome(List.copyOf(acks), done);
  }
}
