package dev.quiver.server.auth;

import dev.quiver.server.telemetry.CallReport;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.net.SocketAddress;
import org.apache.arrow.flight.impl.FlightServiceGrpc;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authenticates every Flight call before the service sees it and attaches the principal to the
 * call's context ({@link Access}) and to its {@link CallReport}. Without an {@link Authenticator}
 * (authentication off) every call runs as {@link Principal#UNRESTRICTED}.
 *
 * <p>A Handshake made with basic credentials is answered with a bearer token in the response
 * header {@code authorization: Bearer <token>} (how Flight clients such as pyarrow's
 * {@code authenticate_basic_token} get one), and its lifetime in seconds in
 * {@value #TOKEN_TTL_HEADER}. Refused credentials are logged at INFO with the claimed user name and
 * the peer, never with the secret.
 */
public final class AuthInterceptor implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger(AuthInterceptor.class);

  /** Response header of a Handshake that issued a token: the token's lifetime in whole seconds. */
  public static final String TOKEN_TTL_HEADER = "quiver-token-ttl";
  private static final Metadata.Key<String> TOKEN_TTL =
      Metadata.Key.of(TOKEN_TTL_HEADER, Metadata.ASCII_STRING_MARSHALLER);
  private static final String HANDSHAKE = FlightServiceGrpc.getHandshakeMethod().getFullMethodName();

  private final Authenticator authenticator;

  /** @param authenticator null to turn authentication off */
  public AuthInterceptor(Authenticator authenticator) {
    this.authenticator = authenticator;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    Principal principal;
    if (authenticator == null) {
      principal = Principal.UNRESTRICTED;
    } else {
      try {
        principal = authenticator.authenticate(headers);
      } catch (UnauthenticatedException e) {
        SocketAddress peer = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        log.info("authentication failed: user={} peer={} method={}: {}", Secrets.printable(e.user()), peer,
            call.getMethodDescriptor().getBareMethodName(), e.getMessage());
        call.close(Status.UNAUTHENTICATED.withDescription(e.getMessage()), new Metadata());
        return new ServerCall.Listener<>() { };
      }
      if (call.getMethodDescriptor().getFullMethodName().equals(HANDSHAKE) && FileAuthenticator.isBasic(headers)) {
        Authenticator.IssuedToken token = authenticator.issueToken(principal);
        if (token != null) {
          call = new TokenReturningCall<>(call, token);
          log.debug("issued a bearer token to '{}' from {}", principal.name(),
              call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
        }
      }
    }
    CallReport.current().principal(principal.name());
    return Contexts.interceptCall(Context.current().withValue(Access.PRINCIPAL, principal), call, headers, next);
  }

  /** Adds the issued token to the response headers (sending them before a bare close if need be). */
  private static final class TokenReturningCall<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {
    private final Authenticator.IssuedToken token;
    private boolean headersSent;

    TokenReturningCall(ServerCall<Q, R> delegate, Authenticator.IssuedToken token) {
      super(delegate);
      this.token = token;
    }

    @Override
    public void sendHeaders(Metadata headers) {
      headersSent = true;
      headers.put(FileAuthenticator.AUTHORIZATION, "Bearer " + token.token());
      headers.put(TOKEN_TTL, Long.toString(token.lifetime().toSeconds()));
      super.sendHeaders(headers);
    }

    @Override
    public void close(Status status, Metadata trailers) {
      // A Handshake answers no message: without this the response would be trailers only.
      if (!headersSent && status.isOk()) {
        sendHeaders(new Metadata());
      }
      super.close(status, trailers);
    }
  }
}
