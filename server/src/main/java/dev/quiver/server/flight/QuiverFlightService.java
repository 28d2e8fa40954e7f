package dev.quiver.server.flight;

import com.google.protobuf.ByteString;
import dev.quiver.protocol.DatasetName;
import dev.quiver.protocol.DatasetTicket;
import dev.quiver.protocol.ProtocolException;
import dev.quiver.protocol.Utf8Text;
import dev.quiver.server.auth.Access;
import dev.quiver.server.auth.Scope;
import dev.quiver.server.catalog.Catalog;
import dev.quiver.server.catalog.DatasetNotFoundException;
import dev.quiver.server.catalog.DatasetUnreadableException;
import dev.quiver.server.ipc.IpcFormatException;
import dev.quiver.server.telemetry.CallReport;
import dev.quiver.server.upload.DatasetStore;
import dev.quiver.server.upload.UploadLimits;
import dev.quiver.server.upload.UploadSession;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.flight.impl.FlightServiceGrpc;
import org.apache.arrow.memory.BufferAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Flight's control plane over the catalog: ListFlights, GetFlightInfo, GetSchema, ListActions and
 * DoAction. The data plane (DoGet) is {@link DoGetMethod}, bound next to these by
 * {@link FlightServiceDefinition} with its own zero-copy marshaller.
 */
public final class QuiverFlightService extends FlightServiceGrpc.FlightServiceImplBase {
  private static final Logger log = LoggerFactory.getLogger(QuiverFlightService.class);

  private final Catalog catalog;
  private final FlightInfos infos;
  private final ServerActions actions;
  private final DatasetStore store;
  private final UploadLimits limits;
  private final BufferAllocator allocator;
  private final Duration idleUploadTimeout;
  private final ScheduledExecutorService timer;

  QuiverFlightService(Catalog catalog, FlightInfos infos, ServerActions actions, DatasetStore store,
      UploadLimits limits, BufferAllocator allocator, Duration idleUploadTimeout, ScheduledExecutorService timer) {
    this.idleUploadTimeout = idleUploadTimeout;
    this.timer = timer;
    this.catalog = catalog;
    this.infos = infos;
    this.actions = actions;
    this.store = store;
    this.limits = limits;
    this.allocator = allocator;
  }

  /**
   * DoPut: each upload is an {@link UploadSession}; gRPC delivers its messages one at a time and
   * requests the next only after {@code onNext} returns, so a slow disk slows the client down
   * instead of filling memory. An upload silent for longer than the idle timeout is failed
   * (DEADLINE_EXCEEDED) and its files deleted.
   */
  @Override
  public StreamObserver<Flight.FlightData> doPut(StreamObserver<Flight.PutResult> responses) {
    UploadSession session = new UploadSession(store, limits, allocator, new UploadSession.Replies() {
      @Override
      public void ack(byte[] appMetadata) {
        responses.onNext(Flight.PutResult.newBuilder().setAppMetadata(ByteString.copyFrom(appMetadata)).build());
      }

      @Override
      public void done() {
        responses.onCompleted();
      }
    });
    return new StreamObserver<>() {
      // gRPC serializes these callbacks, but the idle check runs on the timer thread: both lock.
      // One check per timeout period, not a timer per message: a message only stamps the time.
      private boolean failed;
      private boolean ended;
      private long lastActivity = System.nanoTime();
      private ScheduledFuture<?> idleCheck = scheduleIdleCheck(idleUploadTimeout.toNanos());

      private ScheduledFuture<?> scheduleIdleCheck(long delayNanos) {
        return timer.schedule(this::checkIdle, delayNanos, TimeUnit.NANOSECONDS);
      }

      private synchronized void checkIdle() {
        if (ended) {
          return;
        }
        long quiet = System.nanoTime() - lastActivity;
        if (quiet < idleUploadTimeout.toNanos()) {
          idleCheck = scheduleIdleCheck(idleUploadTimeout.toNanos() - quiet);
          return;
        }
        session.abort();
        long millis = idleUploadTimeout.toMillis();
        String upload = session.dataset() == null ? "upload" : "upload of dataset '" + session.dataset() + "'";
        fail(new UploadIdleException(upload + " sent nothing for " + (millis % 1000 == 0 ? millis / 1000 + " s"
            : millis + " ms") + " (the server's idle upload timeout); nothing was stored"));
      }

      @Override
      public synchronized void onNext(Flight.FlightData data) {
        if (failed) {
          return;
        }
        try {
          session.accept(data);
          lastActivity = System.nanoTime(); // after the write: a slow disk is not a silent client
        } catch (Exception e) {
          fail(e);
        }
      }

      @Override
      public synchronized void onError(Throwable t) {
        end();
        // The client cancelled or went away: nothing it sent is kept.
        session.abort();
        log.debug("upload of dataset '{}' abandoned by the client: {}", session.dataset(), t.toString());
      }

      @Override
      public synchronized void onCompleted() {
        if (failed) {
          return;
        }
        end();
        try {
          session.complete();
        } catch (Exception e) {
          fail(e);
        }
      }

      private void end() {
        ended = true;
        idleCheck.cancel(false);
      }

      private void fail(Exception e) {
        failed = true;
        end();
        String what = session.dataset() == null ? "DoPut" : "DoPut of dataset '" + session.dataset() + "'";
        responses.onError(FlightErrors.toGrpc(e, what));
      }
    };
  }

  /** An upload that went silent for longer than the idle timeout. */
  static final class UploadIdleException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UploadIdleException(String message) {
      super(message);
    }
  }

  /**
   * Handshake: authentication happens on the call's headers ({@code AuthInterceptor}, which also
   * returns the bearer token issued for basic credentials), so any messages are ignored and the
   * call succeeds once the client has sent its own.
   */
  @Override
  public StreamObserver<Flight.HandshakeRequest> handshake(StreamObserver<Flight.HandshakeResponse> responses) {
    return new StreamObserver<>() {
      @Override
      public void onNext(Flight.HandshakeRequest request) {}

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        responses.onCompleted();
      }
    };
  }

  @Override
  public void listFlights(Flight.Criteria request, StreamObserver<Flight.FlightInfo> responses) {
    try {
      // Strictly decoded: criteria that are not UTF-8 are an error, not a prefix that matches nothing.
      Predicate<DatasetName> filter = NameFilter.parse(
          Utf8Text.decode(request.getExpression().toByteArray(), "ListFlights criteria", ""));
      // Only what the caller may read is listed: the rest is not even named.
      for (DatasetName name : catalog.names(filter.and(Access::mayRead))) {
        Flight.FlightInfo info = describe(DatasetTicket.of(name), pathDescriptor(name));
        if (info != null) {
          responses.onNext(info);
        }
      }
      responses.onCompleted();
    } catch (Exception e) {
      responses.onError(FlightErrors.toGrpc(e, "ListFlights"));
    }
  }

  /** The FlightInfo of one listed dataset, or null if it vanished or is broken (it is then left out). */
  private Flight.FlightInfo describe(DatasetTicket ticket, Flight.FlightDescriptor descriptor) {
    try (DatasetSelection selection = DatasetSelection.open(catalog, ticket)) {
      return infos.info(selection, descriptor);
    } catch (DatasetNotFoundException e) {
      return null;
    } catch (DatasetUnreadableException | IpcFormatException e) {
      log.debug("leaving {} out of the listing: {}", ticket.dataset(), e.getMessage());
      return null;
    }
  }

  private static Flight.FlightDescriptor pathDescriptor(DatasetName name) {
    return Flight.FlightDescriptor.newBuilder()
        .setType(Flight.FlightDescriptor.DescriptorType.PATH)
        .addAllPath(name.segments())
        .build();
  }

  @Override
  public void getFlightInfo(Flight.FlightDescriptor descriptor, StreamObserver<Flight.FlightInfo> response) {
    answer("GetFlightInfo", descriptor, response, selection -> infos.info(selection, descriptor));
  }

  @Override
  public void getSchema(Flight.FlightDescriptor descriptor, StreamObserver<Flight.SchemaResult> response) {
    answer("GetSchema", descriptor, response, infos::schema);
  }

  /** Describes a selection; may find, while doing so, that the file is broken. */
  private interface SelectionQuery<T> {
    T apply(DatasetSelection selection) throws IpcFormatException;
  }

  /** Opens what {@code descriptor} names, answers {@code query} about it as the call's one response. */
  private <T> void answer(
      String method, Flight.FlightDescriptor descriptor, StreamObserver<T> response, SelectionQuery<T> query) {
    String what = method;
    try {
      DatasetTicket ticket = ticketFor(descriptor);
      what = method + " of dataset '" + ticket.dataset() + "'";
      CallReport.current().dataset(ticket.dataset());
      Access.require(Scope.READ, ticket.dataset());
      try (DatasetSelection selection = DatasetSelection.open(catalog, ticket)) {
        try {
          response.onNext(query.apply(selection));
        } catch (IpcFormatException e) {
          throw new DatasetUnreadableException(
              ticket.dataset(), selection.dataset().path().getFileName().toString(), e);
        }
      }
      response.onCompleted();
    } catch (Exception e) {
      response.onError(FlightErrors.toGrpc(e, what));
    }
  }

  /**
   * What a descriptor asks for: a PATH descriptor names a dataset ({@code path("sales", "2024")});
   * a CMD descriptor holds a ticket (the dataset name, or the JSON form with columns and batches).
   */
  static DatasetTicket ticketFor(Flight.FlightDescriptor descriptor) {
    return switch (descriptor.getType()) {
      case PATH -> {
        if (descriptor.getPathCount() == 0) {
          throw new ProtocolException("path descriptor has no segments: name a dataset, e.g. path(\"sales\", \"2024\")");
        }
        yield DatasetTicket.of(DatasetName.of(descriptor.getPathList()));
      }
      case CMD -> DatasetTicket.parse(descriptor.getCmd().toByteArray());
      default -> throw new ProtocolException(
          "unsupported descriptor type " + descriptor.getType() + ": use a path descriptor naming a dataset"
              + " or a command descriptor holding a ticket");
    };
  }

  @Override
  public void listActions(Flight.Empty request, StreamObserver<Flight.ActionType> responses) {
    for (Flight.ActionType type : actions.types()) {
      responses.onNext(type);
    }
    responses.onCompleted();
  }

  @Override
  public void doAction(Flight.Action action, StreamObserver<Flight.Result> responses) {
    String type = action.getType();
    try {
      Set<String> known = actions.names();
      if (!known.contains(type)) {
        throw CallStatus.UNIMPLEMENTED
            .withDescription("unknown action '" + type + "'; this server supports " + known)
            .toRuntimeException();
      }
      byte[] body = actions.run(type, action.getBody().toByteArray());
      responses.onNext(Flight.Result.newBuilder().setBody(ByteString.copyFrom(body)).build());
      responses.onCompleted();
    } catch (Exception e) {
      responses.onError(FlightErrors.toGrpc(e, "action '" + type + "'"));
    }
  }
}
