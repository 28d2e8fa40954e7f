package dev.quiver.client.internal;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.flight.impl.FlightServiceGrpc;

/**
 * The {@code authorization} header a connection sends. A bearer token is sent as given. Basic
 * credentials are exchanged, before the first call, for a bearer token with a Flight Handshake
 * (the server answers it with {@code authorization: Bearer <token>}, as pyarrow's
 * {@code authenticate_basic_token} expects): checking a password is slow by design, a token is
 * not. A new token is fetched when the old one is about to expire (the server says when, in
 * {@code quiver-token-ttl}) or was refused (the server restarted). A server that returns no token
 * (authentication off, or one checking basic credentials on every call) gets the basic credentials
 * with every call. Internal.
 */
final class Credentials {
  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> TOKEN_TTL =
      Metadata.Key.of("quiver-token-ttl", Metadata.ASCII_STRING_MARSHALLER);

  /** The header to send, and from when on a new one should be fetched. */
  private record Current(String header, long renewAtNanos) {
    boolean due() {
      return renewAtNanos != Long.MAX_VALUE && System.nanoTime() - renewAtNanos >= 0;
    }
  }

  private final String configured;
  private final boolean basic;
  private final Channel bare;
  private final Duration timeout;
  private final Object lock = new Object();
  /** null until a Handshake has answered (or when the token it gave was refused). */
  private volatile Current current;

  /**
   * @param configured {@code Bearer <token>} or {@code Basic <base64 of user:password>}
   * @param bare       the channel without credentials, for the Handshake
   * @param timeout    deadline of the Handshake
   */
  Credentials(String configured, Channel bare, Duration timeout) {
    this.configured = configured;
    this.basic = configured.regionMatches(true, 0, "Basic ", 0, 6);
    this.bare = bare;
    this.timeout = timeout;
  }

  /** The value of the {@code authorization} header of the next call; may make a Handshake first. */
  String header() {
    if (!basic) {
      return configured;
    }
    Current known = current;
    if (known != null && !known.due()) {
      return known.header();
    }
    synchronized (lock) {
      known = current;
      if (known != null && !known.due()) {
        return known.header();
      }
      Current fresh = handshake();
      if (fresh != null) {
        current = fresh;
        return fresh.header();
      }
      // The Handshake failed (wrong password, server unreachable, ...): the call itself, with the
      // basic credentials, reports why; the next call tries again.
      return known != null ? known.header() : configured;
    }
  }

  /** A call sent with {@code header} was refused as UNAUTHENTICATED: fetch a new token next time. */
  void refused(String header) {
    Current known = current;
    if (known != null && known.header().equals(header) && !header.equals(configured)) {
      synchronized (lock) {
        if (current == known) {
          current = null;
        }
      }
    }
  }

  /** Exchanges the basic credentials for a token; null if the Handshake failed. */
  private Current handshake() {
    ClientCall<Flight.HandshakeRequest, Flight.HandshakeResponse> call = bare.newCall(
        FlightServiceGrpc.getHandshakeMethod(),
        CallOptions.DEFAULT.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS));
    CompletableFuture<Current> answer = new CompletableFuture<>();
    Metadata headers = new Metadata();
    headers.put(AUTHORIZATION, configured);
    call.start(new ClientCall.Listener<>() {
      private final Metadata received = new Metadata();

      @Override
      public void onHeaders(Metadata h) {
        received.merge(h);
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        received.merge(trailers);
        answer.complete(outcome(status, received));
      }
    }, headers);
    call.request(Integer.MAX_VALUE); // and ignore them: only the headers matter
    call.halfClose();
    try {
      return answer.get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      call.cancel("interrupted", e);
      return null;
    } catch (ExecutionException | TimeoutException e) {
      call.cancel("no answer to the handshake", e);
      return null;
    }
  }

  private Current outcome(Status status, Metadata received) {
    if (status.getCode() == Status.Code.UNIMPLEMENTED) {
      return new Current(configured, Long.MAX_VALUE); // a server without Handshake: basic on every call
    }
    if (!status.isOk()) {
      return null;
    }
    String token = null;
    Iterable<String> values = received.getAll(AUTHORIZATION);
    if (values != null) {
      for (String value : values) {
        if (value.regionMatches(true, 0, "Bearer ", 0, 7) && value.length() > 7) {
          token = "Bearer " + value.substring(7).strip();
        }
      }
    }
    if (token == null) {
      return new Current(configured, Long.MAX_VALUE); // no token given: basic on every call
    }
    return new Current(token, renewAt(received.get(TOKEN_TTL)));
  }

  /** When to fetch a new token: at 90% of its lifetime, if the server said what that is. */
  private static long renewAt(String ttlSeconds) {
    if (ttlSeconds == null) {
      return Long.MAX_VALUE;
    }
    try {
      long seconds = Math.min(Long.parseLong(ttlSeconds.strip()), 10L * 365 * 24 * 3600);
      if (seconds <= 0) {
        return System.nanoTime();
      }
      return System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds) / 10 * 9;
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE;
    }
  }
}
