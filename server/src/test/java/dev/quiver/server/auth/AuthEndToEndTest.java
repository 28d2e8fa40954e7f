package dev.quiver.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import dev.quiver.server.config.Operations;
import dev.quiver.server.config.ServerConfig;
import dev.quiver.server.testing.TestServer;
import dev.quiver.server.testing.TestTables;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.flight.Action;
import org.apache.arrow.flight.CallOption;
import org.apache.arrow.flight.Criteria;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.Result;
import org.apache.arrow.flight.SyncPutListener;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.flight.auth2.BasicAuthCredentialWriter;
import org.apache.arrow.flight.auth2.BearerCredentialWriter;
import org.apache.arrow.flight.grpc.CredentialCallOption;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.flight.impl.FlightServiceGrpc;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A real server with an auth file, called with arrow-java's FlightClient and raw gRPC: every
 * authentication path, every permission check, ListFlights filtering, the Handshake that exchanges
 * basic credentials for a bearer token, and the health service outside authentication.
 */
class AuthEndToEndTest {
  private static final Schema SCHEMA = new Schema(List.of(Field.notNullable("id", new ArrowType.Int(64, true))));
  private static final List<String> ALL = List.of("other", "sales/2024", "sales/2025", "uploads/old");

  @TempDir Path data;
  @TempDir Path config;
  private Path authFile;
  private TestServer server;
  private final List<ManagedChannel> channels = new ArrayList<>();
  /** Every log line of the server while the test runs. */
  private final List<String> logLines = new CopyOnWriteArrayList<>();
  private final AppenderBase<ILoggingEvent> logs = new AppenderBase<>() {
    @Override
    protected void append(ILoggingEvent event) {
      logLines.add(event.getFormattedMessage());
    }
  };

  @BeforeEach
  void start() throws Exception {
    try (BufferAllocator writer = new RootAllocator()) {
      for (String name : ALL) {
        TestTables.writeMixed(writer, data.resolve(name + ".arrow"), 1, 10, false);
      }
    }
    authFile = AuthFixture.write(config);
    logs.start();
    root().addAppender(logs);
    server = startServer(Duration.ofHours(1));
  }

  private TestServer startServer(Duration ttl) throws Exception {
    ServerConfig base = ServerConfig.forTesting(data);
    Operations operations = base.operations().withAuthFile(authFile).withTokenTtl(ttl);
    return TestServer.start(base.withOperations(operations));
  }

  private static Logger root() {
    return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }

  @AfterEach
  void stop() throws Exception {
    for (ManagedChannel channel : channels) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    try {
      if (server != null) {
        server.close();
      }
    } finally {
      root().detachAppender(logs);
    }
    // Whatever was refused or allowed, no secret reached the log.
    for (String line : logLines) {
      assertThat(line).doesNotContain(AuthFixture.ALICE_PASSWORD, AuthFixture.READER_PASSWORD,
          AuthFixture.CI_TOKEN, AuthFixture.UPLOADER_TOKEN, "wrong-password", "qvr_");
    }
  }

  private FlightClient client() {
    return server.client();
  }

  private static CallOption bearer(String token) {
    return new CredentialCallOption(new BearerCredentialWriter(token));
  }

  private static CallOption basic(String user, String password) {
    return new CredentialCallOption(new BasicAuthCredentialWriter(user, password));
  }

  private static CallOption reader() {
    return basic("reader", AuthFixture.READER_PASSWORD);
  }

  private static CallOption alice() {
    return basic("alice", AuthFixture.ALICE_PASSWORD);
  }

  private static CallOption boss() {
    return basic("boss", AuthFixture.BOSS_PASSWORD);
  }

  private static CallOption limited() {
    return basic("limited", AuthFixture.LIMITED_PASSWORD);
  }

  private List<String> list(CallOption... options) {
    List<String> names = new ArrayList<>();
    for (FlightInfo info : client().listFlights(Criteria.ALL, options)) {
      names.add(String.join("/", info.getDescriptor().getPath()));
    }
    return names;
  }

  private long read(String dataset, CallOption... options) throws Exception {
    long rows = 0;
    try (FlightStream stream = client().getStream(new Ticket(dataset.getBytes(StandardCharsets.UTF_8)), options)) {
      while (stream.next()) {
        rows += stream.getRoot().getRowCount();
      }
    }
    return rows;
  }

  private String action(String type, String body, CallOption... options) {
    Iterator<Result> results = client().doAction(new Action(type, body.getBytes(StandardCharsets.UTF_8)), options);
    String first = new String(results.next().getBody(), StandardCharsets.UTF_8);
    results.forEachRemaining(r -> { });
    return first;
  }

  /** Uploads one batch of 3 rows as {@code dataset}. */
  private void upload(String dataset, CallOption... options) {
    BufferAllocator allocator = server.clientAllocator();
    try (VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
         SyncPutListener listener = new SyncPutListener()) {
      FlightClient.ClientStreamListener put = client().startPut(FlightDescriptor.path(dataset.split("/")), root,
          listener, options);
      BigIntVector id = (BigIntVector) root.getVector("id");
      id.allocateNew(3);
      for (int i = 0; i < 3; i++) {
        id.set(i, i);
      }
      root.setRowCount(3);
      put.putNext();
      put.completed();
      put.getResult();
    }
  }

  private static org.assertj.core.api.AbstractThrowableAssert<?, ? extends Throwable> fails(
      FlightStatusCode code, org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
    return assertThatThrownBy(call).isInstanceOf(FlightRuntimeException.class)
        .satisfies(e -> assertThat(((FlightRuntimeException) e).status().code()).isEqualTo(code));
  }

  private static org.assertj.core.api.AbstractThrowableAssert<?, ? extends Throwable> unauthenticated(
      org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
    return fails(FlightStatusCode.UNAUTHENTICATED, call);
  }

  /** PERMISSION_DENIED, which arrow-java calls UNAUTHORIZED. */
  private static org.assertj.core.api.AbstractThrowableAssert<?, ? extends Throwable> denied(
      org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
    return fails(FlightStatusCode.UNAUTHORIZED, call);
  }

  // ---- authentication ---------------------------------------------------------------------------

  @Test
  void withoutCredentialsEveryCallIsUnauthenticated() {
    unauthenticated(() -> list()).hasMessageContaining("no credentials")
        .hasMessageContaining("authorization: Bearer <token>");
    unauthenticated(() -> client().getInfo(FlightDescriptor.path("other")));
    unauthenticated(() -> client().getSchema(FlightDescriptor.path("other")));
    unauthenticated(() -> read("other"));
    unauthenticated(() -> action("describe", "other"));
    unauthenticated(() -> action("stats", "{}"));
    unauthenticated(() -> client().listActions().forEach(a -> { }));
    unauthenticated(() -> upload("uploads/anonymous"));
    assertThat(Files.exists(data.resolve("uploads/anonymous.arrow"))).isFalse();
  }

  @Test
  void wrongPasswordsAndUnknownUsersAreUnauthenticated() {
    unauthenticated(() -> list(basic("alice", "wrong-password"))).hasMessageContaining("wrong user name or password")
        .hasMessageNotContaining("wrong-password");
    unauthenticated(() -> list(basic("nobody", "wrong-password"))).hasMessageContaining("wrong user name or password");
    assertThat(logLines).anySatisfy(line -> assertThat(line)
        .contains("authentication failed", "user=alice", "peer=/127.0.0.1", "wrong user name or password"));
    assertThat(logLines).anySatisfy(line -> assertThat(line).contains("user=nobody"));
  }

  @Test
  void basicCredentialsWorkOnEveryCall() throws Exception {
    assertThat(list(reader())).isEqualTo(ALL);
    assertThat(read("sales/2024", reader())).isEqualTo(10);
  }

  @Test
  void staticApiTokens() throws Exception {
    assertThat(list(bearer(AuthFixture.CI_TOKEN))).isEqualTo(ALL);
    assertThat(list(bearer(AuthFixture.UPLOADER_TOKEN))).containsExactly("uploads/old");
    unauthenticated(() -> list(bearer(AuthFixture.CI_TOKEN + "x"))).hasMessageContaining("unknown token");
    unauthenticated(() -> list(bearer(Secrets.newToken()))).hasMessageContaining("unknown token");
  }

  @Test
  void flightClientExchangesBasicCredentialsForABearerToken() throws Exception {
    Optional<CredentialCallOption> token = client().authenticateBasicToken("reader", AuthFixture.READER_PASSWORD);
    assertThat(token).isPresent();
    assertThat(list(token.get())).isEqualTo(ALL);
    assertThat(read("other", token.get())).isEqualTo(10);
    denied(() -> action("delete", "other", token.get())).hasMessageContaining("'reader' may not write dataset 'other'");
  }

  @Test
  void aHandshakeWithAWrongPasswordIsUnauthenticated() {
    unauthenticated(() -> client().authenticateBasicToken("reader", "wrong-password"))
        .hasMessageContaining("wrong user name or password");
  }

  @Test
  void theHandshakeReturnsTheTokenAndItsLifetimeInHeaders() throws Exception {
    Handshake ok = handshake(AuthFixture.basic("alice", AuthFixture.ALICE_PASSWORD));
    assertThat(ok.status.getCode()).isEqualTo(Status.Code.OK);
    String authorization = ok.headers.get(FileAuthenticator.AUTHORIZATION);
    assertThat(authorization).startsWith("Bearer qvr_");
    assertThat(ok.headers.get(Metadata.Key.of(AuthInterceptor.TOKEN_TTL_HEADER, Metadata.ASCII_STRING_MARSHALLER)))
        .isEqualTo("3600");
    assertThat(list(bearer(authorization.substring("Bearer ".length())))).isEqualTo(ALL);

    Handshake withBearer = handshake("Bearer " + AuthFixture.CI_TOKEN);
    assertThat(withBearer.status.getCode()).isEqualTo(Status.Code.OK);
    assertThat(withBearer.headers.get(FileAuthenticator.AUTHORIZATION)).as("no new token for a bearer").isNull();

    Handshake anonymous = handshake(null);
    assertThat(anonymous.status.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(anonymous.status.getDescription()).contains("no credentials");
  }

  @Test
  void issuedTokensExpire() throws Exception {
    server.close();
    server = startServer(Duration.ofMillis(1500));
    CredentialCallOption token = client().authenticateBasicToken("reader", AuthFixture.READER_PASSWORD).orElseThrow();
    assertThat(list(token)).isEqualTo(ALL);
    Thread.sleep(1600);
    unauthenticated(() -> list(token)).hasMessageContaining("token expired").hasMessageContaining("authenticate again");
    unauthenticated(() -> list(token)).hasMessageContaining("unknown token");
  }

  @Test
  void tokensIssuedByAnEarlierServerAreUnknown() throws Exception {
    CredentialCallOption token = client().authenticateBasicToken("reader", AuthFixture.READER_PASSWORD).orElseThrow();
    server.close();
    server = startServer(Duration.ofHours(1));
    unauthenticated(() -> list(token)).hasMessageContaining("unknown token");
  }

  // ---- authorization ----------------------------------------------------------------------------

  @Test
  void listFlightsShowsOnlyWhatTheCallerMayRead() {
    assertThat(list(reader())).isEqualTo(ALL);
    assertThat(list(limited())).containsExactly("sales/2024", "sales/2025");
    assertThat(list(bearer(AuthFixture.UPLOADER_TOKEN))).containsExactly("uploads/old");
    assertThat(list(boss())).isEqualTo(ALL);
    List<String> filtered = new ArrayList<>();
    client().listFlights(new Criteria("*/2024".getBytes(StandardCharsets.UTF_8)), limited())
        .forEach(i -> filtered.add(String.join("/", i.getDescriptor().getPath())));
    assertThat(filtered).containsExactly("sales/2024");
  }

  @Test
  void readingNeedsReadOnTheName() throws Exception {
    assertThat(read("sales/2024", limited())).isEqualTo(10);
    assertThat(client().getInfo(FlightDescriptor.path("sales", "2025"), limited()).getRecords()).isEqualTo(10);
    denied(() -> read("other", limited())).hasMessageContaining("'limited' may not read dataset 'other'");
    denied(() -> client().getInfo(FlightDescriptor.path("other"), limited()));
    denied(() -> client().getSchema(FlightDescriptor.path("uploads", "old"), limited()));
    denied(() -> action("describe", "{\"dataset\": \"other\"}", limited()));
    denied(() -> read("other", bearer(AuthFixture.UPLOADER_TOKEN)));
    denied(() -> client().getInfo(FlightDescriptor.path("missing"), limited()))
        .as("a name one may not read is denied whether it exists or not");
  }

  @Test
  void aReadOnlyPrincipalCannotWrite() {
    denied(() -> upload("uploads/by-reader", reader())).hasMessageContaining("'reader' may not write");
    denied(() -> action("delete", "{\"dataset\": \"other\"}", reader()));
    denied(() -> action("rename", "{\"from\": \"other\", \"to\": \"moved\"}", reader()));
    assertThat(list(reader())).isEqualTo(ALL);
    assertThat(Files.exists(data.resolve("uploads/by-reader.arrow"))).isFalse();
  }

  @Test
  void writeOnAPatternAllowsUploadsUnderItOnly() throws Exception {
    upload("uploads/new", alice());
    assertThat(read("uploads/new", alice())).isEqualTo(3);
    denied(() -> upload("sales/2026", alice())).hasMessageContaining("'alice' may not write dataset 'sales/2026'");
    denied(() -> upload("uploads/deeper/x", alice())).as("* stays within one segment");
    denied(() -> action("delete", "{\"dataset\": \"sales/2024\"}", alice()));
    denied(() -> action("rename", "{\"from\": \"uploads/new\", \"to\": \"sales/new\"}", alice()))
        .as("rename needs write on both names").hasMessageContaining("sales/new");
    denied(() -> action("rename", "{\"from\": \"sales/2024\", \"to\": \"uploads/stolen\"}", alice()));
    action("rename", "{\"from\": \"uploads/new\", \"to\": \"uploads/renamed\"}", alice());
    action("delete", "{\"dataset\": \"uploads/renamed\"}", alice());
    assertThat(list(alice())).isEqualTo(ALL);

    upload("uploads/by-token", bearer(AuthFixture.UPLOADER_TOKEN));
    assertThat(list(bearer(AuthFixture.UPLOADER_TOKEN))).containsExactly("uploads/by-token", "uploads/old");
    denied(() -> upload("other2", bearer(AuthFixture.UPLOADER_TOKEN)));
    assertThat(Files.exists(data.resolve("sales/2026.arrow"))).isFalse();
  }

  @Test
  void serverWideActionsNeedAdminEverywhere() {
    assertThat(action("stats", "{}", boss())).contains("{");
    assertThat(action("refresh", "{}", bearer(AuthFixture.CI_TOKEN))).contains("datasets");
    for (CallOption someone : List.of(reader(), alice(), limited(), bearer(AuthFixture.UPLOADER_TOKEN))) {
      denied(() -> action("stats", "{}", someone)).hasMessageContaining("needs scope admin on every dataset");
      denied(() -> action("refresh", "{}", someone)).hasMessageContaining("may not refresh the catalog");
    }
  }

  @Test
  void adminMayDoEverything() throws Exception {
    upload("anywhere/new", boss());
    assertThat(read("anywhere/new", boss())).isEqualTo(3);
    action("delete", "{\"dataset\": \"anywhere/new\"}", boss());
    assertThat(list(boss())).isEqualTo(ALL);
  }

  @Test
  void listActionsNeedsOnlyAuthentication() {
    List<String> types = new ArrayList<>();
    client().listActions(limited()).forEach(a -> types.add(a.getType()));
    assertThat(types).contains("describe", "stats");
  }

  // ---- outside authentication -----------------------------------------------------------------------

  @Test
  void theHealthServiceAnswersWithoutCredentials() {
    ManagedChannel channel = channel();
    HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
    assertThat(health.check(HealthCheckRequest.newBuilder().setService("").build()).getStatus())
        .isEqualTo(ServingStatus.SERVING);
    assertThat(health.check(HealthCheckRequest.newBuilder().setService(FlightServiceGrpc.SERVICE_NAME).build())
        .getStatus()).isEqualTo(ServingStatus.SERVING);
  }

  @Test
  void withoutAnAuthFileEveryoneMayDoEverythingAndTheHandshakeSucceeds() throws Exception {
    server.close();
    server = TestServer.start(ServerConfig.forTesting(data));
    assertThat(list()).isEqualTo(ALL);
    assertThat(action("stats", "{}")).contains("{");
    Handshake handshake = handshake(AuthFixture.basic("anyone", "anything"));
    assertThat(handshake.status.getCode()).isEqualTo(Status.Code.OK);
    assertThat(handshake.headers.get(FileAuthenticator.AUTHORIZATION)).isNull();
    assertThat(client().authenticateBasicToken("anyone", "anything")).isEmpty();
  }

  // ---- raw Handshake ------------------------------------------------------------------------------

  private ManagedChannel channel() {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.server().port()).usePlaintext().build();
    channels.add(channel);
    return channel;
  }

  private record Handshake(Status status, Metadata headers) {}

  /** A Handshake as pyarrow's authenticate_basic_token makes it: no message, the credentials in a header. */
  private Handshake handshake(String authorization) throws Exception {
    ClientCall<Flight.HandshakeRequest, Flight.HandshakeResponse> call = channel().newCall(
        FlightServiceGrpc.getHandshakeMethod(), CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS));
    Metadata headers = new Metadata();
    if (authorization != null) {
      headers.put(FileAuthenticator.AUTHORIZATION, authorization);
    }
    CompletableFuture<Handshake> done = new CompletableFuture<>();
    Metadata received = new Metadata();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onHeaders(Metadata h) {
        received.merge(h);
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        done.complete(new Handshake(status, received));
      }
    }, headers);
    call.request(10);
    call.halfClose();
    return done.get(10, TimeUnit.SECONDS);
  }
}
