package dev.quiver.client.internal;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ConnectivityState;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.ssl.SslContextBuilder;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.apache.arrow.flight.CallOption;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightGrpcUtils;
import org.apache.arrow.flight.impl.FlightServiceGrpc;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * One gRPC channel to the server, shared by arrow-java's {@link FlightClient} (record batch
 * decoding, control calls) and the raw Flight stubs the transfers use to move IPC messages without
 * decoding them. Owns the channel and, unless the caller gave one, the allocator. Internal.
 */
public final class Connection implements AutoCloseable {
  /** What a client builder collects. */
  public static final class Settings {
    final String target;
    final String host;
    final int port;
    final boolean tls;
    public Path trustedCertificates;
    public Path clientCertificate;
    public Path clientKey;
    public String authorization;
    public Duration callTimeout = Duration.ofSeconds(30);
    public Duration transferTimeout = Duration.ofHours(1);
    public BufferAllocator allocator;

    private Settings(String target, String host, int port, boolean tls) {
      this.target = target;
      this.host = host;
      this.port = port;
      this.tls = tls;
    }

    /** Parses {@code grpc://host:port}, {@code grpc+tcp://host:port} or {@code grpc+tls://host:port}. */
    public static Settings forUri(String uri) {
      URI parsed;
      try {
        parsed = new URI(uri);
      } catch (URISyntaxException | NullPointerException e) {
        throw new IllegalArgumentException("not a server address: '" + uri + "'; expected grpc://host:port", e);
      }
      String scheme = parsed.getScheme() == null ? "" : parsed.getScheme();
      boolean tls = switch (scheme) {
        case "grpc", "grpc+tcp" -> false;
        case "grpc+tls" -> true;
        default -> throw new IllegalArgumentException("unsupported scheme in '" + uri
            + "': use grpc://host:port (plain) or grpc+tls://host:port (TLS)");
      };
      if (parsed.getHost() == null || parsed.getPort() < 0) {
        throw new IllegalArgumentException("'" + uri + "' needs a host and a port, e.g. grpc://localhost:8815");
      }
      return new Settings(uri, parsed.getHost(), parsed.getPort(), tls);
    }
  }

  private final Settings settings;
  private final ManagedChannel managed;
  private final Channel channel;
  private final BufferAllocator allocator;
  private final boolean ownsAllocator;
  private final FlightClient flight;

  private Connection(Settings settings, ManagedChannel managed, BufferAllocator allocator, boolean ownsAllocator) {
    this.settings = settings;
    this.managed = managed;
    this.channel = settings.authorization == null ? managed
        : ClientInterceptors.intercept(managed, new AuthorizationHeader(
            new Credentials(settings.authorization, managed, settings.callTimeout)));
    this.allocator = allocator;
    this.ownsAllocator = ownsAllocator;
    // arrow-java's client makes its calls on the same channel, credentials attached.
    this.flight = FlightGrpcUtils.createFlightClientWithSharedChannel(allocator,
        channel == managed ? managed : new CredentialChannel(managed, channel));
  }

  public static Connection open(Settings settings) {
    NettyChannelBuilder builder = NettyChannelBuilder.forAddress(settings.host, settings.port)
        .maxInboundMessageSize(Integer.MAX_VALUE);
    if (settings.tls) {
      try {
        SslContextBuilder ssl = GrpcSslContexts.forClient();
        if (settings.trustedCertificates != null) {
          ssl.trustManager(settings.trustedCertificates.toFile());
        }
        if (settings.clientCertificate != null) {
          ssl.keyManager(settings.clientCertificate.toFile(), settings.clientKey.toFile());
        }
        builder.useTransportSecurity().sslContext(ssl.build());
      } catch (SSLException | IllegalArgumentException e) {
        throw new IllegalArgumentException("cannot set up TLS: " + e.getMessage()
            + " (certificates and keys must be PEM files)", e);
      }
    } else {
      if (settings.trustedCertificates != null || settings.clientCertificate != null) {
        throw new IllegalArgumentException("certificates were given for a plain connection; use grpc+tls://");
      }
      builder.usePlaintext();
    }
    boolean owns = settings.allocator == null;
    BufferAllocator allocator = owns ? new RootAllocator() : settings.allocator;
    return new Connection(settings, builder.build(), allocator, owns);
  }

  public String target() {
    return settings.target;
  }

  /** arrow-java's client, on {@link #channel()}: its calls carry the credentials. */
  public FlightClient flight() {
    return flight;
  }

  /** The channel for raw stubs, credentials attached. */
  public Channel channel() {
    return channel;
  }

  public FlightServiceGrpc.FlightServiceStub asyncStub() {
    return FlightServiceGrpc.newStub(channel).withDeadlineAfter(settings.transferTimeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  public BufferAllocator allocator() {
    return allocator;
  }

  public Duration transferTimeout() {
    return settings.transferTimeout;
  }

  /** Options of a control call: its deadline. */
  public CallOption[] callOptions() {
    return options(settings.callTimeout);
  }

  /** Options of a transfer call. */
  public CallOption[] transferOptions() {
    return options(settings.transferTimeout);
  }

  private CallOption[] options(Duration timeout) {
    return new CallOption[] {org.apache.arrow.flight.CallOptions.timeout(timeout.toMillis(), TimeUnit.MILLISECONDS)};
  }

  @Override
  public void close() {
    try {
      flight.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    managed.shutdownNow();
    try {
      managed.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (ownsAllocator) {
      allocator.close();
    }
  }

  /**
   * Adds the {@code authorization} header to every call (exchanging basic credentials for a token
   * first, see {@link Credentials}), and forgets a token the server refuses.
   */
  private static final class AuthorizationHeader implements ClientInterceptor {
    private final Credentials credentials;

    AuthorizationHeader(Credentials credentials) {
      this.credentials = credentials;
    }

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
      return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
        @Override
        public void start(Listener<R> listener, Metadata headers) {
          String value = credentials.header();
          headers.discardAll(Credentials.AUTHORIZATION);
          headers.put(Credentials.AUTHORIZATION, value);
          super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
            @Override
            public void onClose(Status status, Metadata trailers) {
              if (status.getCode() == Status.Code.UNAUTHENTICATED) {
                credentials.refused(value);
              }
              super.onClose(status, trailers);
            }
          }, headers);
        }
      };
    }
  }

  /**
   * The connection's channel as the {@link ManagedChannel} arrow-java's client wants: calls go
   * through the credentials interceptor, the life cycle is the underlying channel's.
   */
  private static final class CredentialChannel extends ManagedChannel {
    private final ManagedChannel managed;
    private final Channel calls;

    CredentialChannel(ManagedChannel managed, Channel calls) {
      this.managed = managed;
      this.calls = calls;
    }

    @Override
    public <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method, CallOptions options) {
      return calls.newCall(method, options);
    }

    @Override
    public String authority() {
      return calls.authority();
    }

    @Override
    public ManagedChannel shutdown() {
      managed.shutdown();
      return this;
    }

    @Override
    public boolean isShutdown() {
      return managed.isShutdown();
    }

    @Override
    public boolean isTerminated() {
      return managed.isTerminated();
    }

    @Override
    public ManagedChannel shutdownNow() {
      managed.shutdownNow();
      return this;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
      return managed.awaitTermination(timeout, unit);
    }

    @Override
    public ConnectivityState getState(boolean requestConnection) {
      return managed.getState(requestConnection);
    }

    @Override
    public void notifyWhenStateChanged(ConnectivityState source, Runnable callback) {
      managed.notifyWhenStateChanged(source, callback);
    }

    @Override
    public void resetConnectBackoff() {
      managed.resetConnectBackoff();
    }

    @Override
    public void enterIdle() {
      managed.enterIdle();
    }
  }
}
