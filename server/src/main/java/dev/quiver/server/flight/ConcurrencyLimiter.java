package dev.quiver.server.flight;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Caps the number of concurrent calls of one Flight method (DoGet streams, DoPut uploads): a call
 * beyond the cap is refused at once with RESOURCE_EXHAUSTED and a retry hint, before it costs
 * anything. A call counts from its start until gRPC reports it completed or cancelled.
 */
final class ConcurrencyLimiter implements ServerInterceptor {
  private final String method;
  private final String what;
  private final int max;
  private final AtomicInteger active = new AtomicInteger();

  /**
   * @param method full gRPC method name, e.g. {@code arrow.flight.protocol.FlightService/DoGet}
   * @param what   what the calls are, for the error message ("downloads")
   */
  ConcurrencyLimiter(String method, String what, int max) {
    this.method = method;
    this.what = what;
    this.max = max;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    if (!call.getMethodDescriptor().getFullMethodName().equals(method)) {
      return next.startCall(call, headers);
    }
    if (active.incrementAndGet() > max) {
      active.decrementAndGet();
      call.close(Status.RESOURCE_EXHAUSTED.withDescription("the server is running its maximum of " + max
          + " concurrent " + what + "; retry in a few seconds"), new Metadata());
      return new ServerCall.Listener<>() { };
    }
    AtomicBoolean released = new AtomicBoolean();
    Runnable release = () -> {
      if (released.compareAndSet(false, true)) {
        active.decrementAndGet();
      }
    };
    ServerCall.Listener<Q> listener;
    try {
      listener = next.startCall(call, headers);
    } catch (RuntimeException e) {
      release.run();
      throw e;
    }
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onComplete() {
        release.run();
        super.onComplete();
      }

      @Override
      public void onCancel() {
        release.run();
        super.onCancel();
      }
    };
  }

  int active() {
    return active.get();
  }
}
