package dev.quiver.server.flight;

import dev.quiver.server.catalog.Catalog;
import dev.quiver.server.config.CallLimits;
import dev.quiver.server.upload.DatasetStore;
import dev.quiver.server.upload.UploadLimits;
import io.grpc.MethodDescriptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.flight.impl.FlightServiceGrpc;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Assembles the {@code arrow.flight.protocol.FlightService} gRPC service: the generated bindings
 * for the control plane, with DoGet replaced by a method of the same name whose response marshaller
 * is Quiver's own ({@link FlightFrameMarshaller}), so batches go out as header bytes plus mapped
 * memory instead of protobuf objects. Clients see the standard Flight service.
 */
public final class FlightServiceDefinition {
  private FlightServiceDefinition() {}

  /**
   * Tunables of the Flight surface.
   *
   * @param tls whether the port speaks TLS: then DoGet sends bodies copied out of the mappings, never
   *            the mappings themselves, because the native TLS engine reading a page of a file
   *            truncated meanwhile would kill the JVM ({@link BodyCopy})
   */
  public record Options(long endpointTargetBytes, int onReadyThreshold, UploadLimits uploadLimits, CallLimits limits,
      boolean tls) {}

  /**
   * The Flight service, with DoGet streams and DoPut uploads capped at {@code options.limits()};
   * {@code timer} runs the idle-upload timeouts (its owner shuts it down).
   */
  public static ServerServiceDefinition create(Catalog catalog, DatasetStore store, BufferAllocator allocator,
      Options options, ScheduledExecutorService timer) {
    QuiverFlightService control = new QuiverFlightService(catalog, new FlightInfos(options.endpointTargetBytes()),
        new ServerActions(catalog, store, allocator), store, options.uploadLimits(), allocator,
        options.limits().idleUploadTimeout(), timer);
    ServerServiceDefinition generated = control.bindService();
    String doGet = FlightServiceGrpc.getDoGetMethod().getFullMethodName();
    String doPut = FlightServiceGrpc.getDoPutMethod().getFullMethodName();

    ServerServiceDefinition.Builder service = ServerServiceDefinition.builder(FlightServiceGrpc.SERVICE_NAME);
    for (ServerMethodDefinition<?, ?> method : generated.getMethods()) {
      String name = method.getMethodDescriptor().getFullMethodName();
      if (!name.equals(doGet) && !name.equals(doPut)) {
        service.addMethod(method);
      }
    }
    MethodDescriptor<Flight.Ticket, FlightFrame> rawDoGet = MethodDescriptor.<Flight.Ticket, FlightFrame>newBuilder()
        .setType(MethodDescriptor.MethodType.SERVER_STREAMING)
        .setFullMethodName(doGet)
        .setRequestMarshaller(ProtoUtils.marshaller(Flight.Ticket.getDefaultInstance()))
        .setResponseMarshaller(new FlightFrameMarshaller())
        .build();
    // Without gRPC's buffer chain, bodies are copied anyway: better in the stream's own code, where a
    // fault reading a truncated file becomes the call's status, than inside gRPC's serialization.
    boolean copyBodies = options.tls() || !GrpcBufferChain.available();
    service.addMethod(rawDoGet, ServerCalls.asyncServerStreamingCall(
        new DoGetMethod(catalog, options.onReadyThreshold(), copyBodies)));
    // DoPut keeps the generated handler; its requests are parsed with bodies in reused direct buffers.
    MethodDescriptor<Flight.FlightData, Flight.PutResult> doPutMethod = FlightServiceGrpc.getDoPutMethod().toBuilder(
        new FlightDataParser(), ProtoUtils.marshaller(Flight.PutResult.getDefaultInstance())).build();
    service.addMethod(doPutMethod, ServerCalls.asyncBidiStreamingCall(control::doPut));
    return ServerInterceptors.intercept(service.build(),
        new ConcurrencyLimiter(doGet, "downloads (DoGet streams)", options.limits().maxStreams()),
        new ConcurrencyLimiter(doPut, "uploads (DoPut)", options.limits().maxUploads()));
  }

  /** Statistics of the Flight surface, for tests and the {@code stats} action. */
  public static long bodyBytesInFlight() {
    return MappedBodyBuf.inFlightBytes();
  }

  public static int activeDoGetStreams() {
    return DoGetStream.active();
  }
}
