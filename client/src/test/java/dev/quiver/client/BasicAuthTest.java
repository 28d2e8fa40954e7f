package dev.quiver.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import dev.quiver.client.testing.LiveServer;
import dev.quiver.server.auth.AuthFixture;
import dev.quiver.server.auth.AuthInterceptor;
import dev.quiver.server.config.Operations;
import dev.quiver.server.config.ServerConfig;
import dev.quiver.server.ipc.ArrowFiles;
import dev.quiver.server.ipc.ArrowFiles.Spec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The client against a real server with an auth file (the server test suite's {@link AuthFixture}):
 * basic credentials are exchanged for a bearer token once, tokens and refusals, and what each
 * principal may do through the client API.
 */
class BasicAuthTest {
  private static final List<String> ALL = List.of("other", "sales/2024", "uploads/old");

  @TempDir Path data;
  @TempDir Path config;
  @TempDir Path local;
  private Path authFile;
  private LiveServer server;
  /** How many bearer tokens the server issued (its DEBUG line for each). */
  private final List<String> issued = new CopyOnWriteArrayList<>();
  private final AppenderBase<ILoggingEvent> issuedLog = new AppenderBase<>() {
    @Override
    protected void append(ILoggingEvent event) {
      if (event.getFormattedMessage().startsWith("issued a bearer token")) {
        issued.add(event.getFormattedMessage());
      }
    }
  };
  private Level previousLevel;

  @BeforeEach
  void start() throws Exception {
    for (String name : ALL) {
      Files.createDirectories(data.resolve(name + ".arrow").getParent());
      ArrowFiles.write(data.resolve(name + ".arrow"), Spec.file(1, 5));
    }
    authFile = AuthFixture.write(config);
    Logger logger = (Logger) LoggerFactory.getLogger(AuthInterceptor.class);
    previousLevel = logger.getLevel();
    logger.setLevel(Level.DEBUG);
    issuedLog.start();
    logger.addAppender(issuedLog);
    server = LiveServer.start(config(Duration.ofHours(1), 0));
  }

  private ServerConfig config(Duration ttl, int port) {
    ServerConfig base = ServerConfig.forTesting(data);
    Operations operations = base.operations().withAuthFile(authFile).withTokenTtl(ttl);
    return new ServerConfig(base.dataDir(), base.host(), port, base.endpointTargetBytes(), base.onReadyThreshold(),
        base.allocatorLimit(), base.uploadLimits(), base.writeBufferBytes(), base.tls(), base.limits(), operations);
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (server != null) {
        server.close();
      }
    } finally {
      Logger logger = (Logger) LoggerFactory.getLogger(AuthInterceptor.class);
      logger.detachAppender(issuedLog);
      logger.setLevel(previousLevel);
    }
  }

  private QuiverClient client(UnaryOperator<QuiverClient.Builder> credentials) {
    return server.client(server.uri(), credentials);
  }

  private static List<String> names(QuiverClient client) {
    return client.list("").stream().map(DatasetInfo::name).toList();
  }

  private Path file() throws Exception {
    return ArrowFiles.write(local.resolve("up-" + System.nanoTime() + ".arrow"), Spec.file(2, 5));
  }

  @Test
  void basicCredentialsAreExchangedForOneTokenUsedByEveryCall() throws Exception {
    QuiverClient alice = client(b -> b.basicAuth("alice", AuthFixture.ALICE_PASSWORD));
    assertThat(issued).as("the client connects lazily").isEmpty();
    assertThat(names(alice)).isEqualTo(ALL);
    assertThat(alice.describe("sales/2024").rows()).isEqualTo(5);
    assertThat(alice.schema("other")).isNotNull();
    try (BatchStream batches = alice.read(ReadRequest.of("other"))) {
      assertThat(batches.next()).isTrue();
    }
    Path out = local.resolve("other.arrow");
    assertThat(alice.download("other", out, DownloadOptions.defaults()).rows()).isEqualTo(5);
    assertThat(alice.upload(file(), "uploads/from-file", UploadOptions.defaults()).dataset())
        .isEqualTo("uploads/from-file");
    alice.rename("uploads/from-file", "uploads/renamed", false);
    alice.delete("uploads/renamed");
    assertThat(issued).hasSize(1).allSatisfy(line -> assertThat(line).contains("'alice'"));
  }

  @Test
  void aWrongPasswordFailsEveryCallWithoutRevealingIt() throws Exception {
    QuiverClient wrong = client(b -> b.basicAuth("alice", "wrong-password"));
    assertThatThrownBy(() -> wrong.list("")).isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("wrong user name or password").hasMessageNotContaining("wrong-password");
    assertThatThrownBy(() -> wrong.download("other", local.resolve("x.arrow"), DownloadOptions.defaults()))
        .isInstanceOf(AuthenticationException.class);
    assertThatThrownBy(() -> wrong.upload(file(), "uploads/x", UploadOptions.defaults()))
        .isInstanceOf(AuthenticationException.class);
    assertThat(issued).isEmpty();
    assertThat(local.resolve("x.arrow")).doesNotExist();
  }

  @Test
  void withoutCredentialsTheServerSaysWhatToSend() {
    QuiverClient anonymous = client(b -> b);
    assertThatThrownBy(() -> anonymous.list("")).isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("no credentials").hasMessageContaining("authorization: Bearer <token>");
  }

  @Test
  void apiTokens() throws Exception {
    QuiverClient ci = client(b -> b.bearerToken(AuthFixture.CI_TOKEN));
    assertThat(names(ci)).isEqualTo(ALL);
    QuiverClient uploader = client(b -> b.bearerToken(AuthFixture.UPLOADER_TOKEN));
    assertThat(names(uploader)).containsExactly("uploads/old");
    uploader.upload(file(), "uploads/by-token", UploadOptions.defaults());
    QuiverClient unknown = client(b -> b.bearerToken("qvr_not-a-token"));
    assertThatThrownBy(() -> unknown.list("")).isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("unknown token").hasMessageNotContaining("qvr_not-a-token");
    assertThat(issued).as("API tokens need no handshake").isEmpty();
  }

  @Test
  void permissionsFollowTheScopes() throws Exception {
    QuiverClient reader = client(b -> b.basicAuth("reader", AuthFixture.READER_PASSWORD));
    assertThat(names(reader)).isEqualTo(ALL);
    assertThatThrownBy(() -> reader.upload(file(), "uploads/x", UploadOptions.defaults()))
        .isInstanceOf(AuthenticationException.class).hasMessageContaining("'reader' may not write")
        .hasMessageContaining("do not allow");
    assertThatThrownBy(() -> reader.delete("other")).isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("do not allow");

    QuiverClient limited = client(b -> b.basicAuth("limited", AuthFixture.LIMITED_PASSWORD));
    assertThat(names(limited)).containsExactly("sales/2024");
    assertThatThrownBy(() -> limited.download("other", local.resolve("o.arrow"), DownloadOptions.defaults()))
        .isInstanceOf(AuthenticationException.class).hasMessageContaining("may not read dataset 'other'");
    assertThatThrownBy(() -> limited.describe("other")).isInstanceOf(AuthenticationException.class);

    QuiverClient alice = client(b -> b.basicAuth("alice", AuthFixture.ALICE_PASSWORD));
    assertThatThrownBy(() -> alice.upload(file(), "sales/2026", UploadOptions.defaults()))
        .isInstanceOf(AuthenticationException.class).hasMessageContaining("may not write dataset 'sales/2026'");
    assertThat(alice.upload(file(), "uploads/mine", UploadOptions.defaults()).dataset()).isEqualTo("uploads/mine");
    assertThat(data.resolve("sales/2026.arrow")).doesNotExist();
  }

  @Test
  void aTokenAboutToExpireIsRenewed() throws Exception {
    server.close();
    server = LiveServer.start(config(Duration.ofSeconds(1), 0));
    QuiverClient reader = client(b -> b.basicAuth("reader", AuthFixture.READER_PASSWORD));
    assertThat(names(reader)).isEqualTo(ALL);
    Thread.sleep(1100);
    assertThat(names(reader)).isEqualTo(ALL);
    assertThat(issued).hasSize(2);
  }

  @Test
  void aTokenTheServerNoLongerKnowsIsReplacedAfterOneFailure() throws Exception {
    int port = server.port();
    try (QuiverClient reader = QuiverClient.builder(server.uri())
        .basicAuth("reader", AuthFixture.READER_PASSWORD).build()) {
      assertThat(names(reader)).isEqualTo(ALL);
      server.close();
      server = null;
      server = LiveServer.start(config(Duration.ofHours(1), port)); // a restart forgets issued tokens
      assertThatThrownBy(() -> names(reader)).isInstanceOf(AuthenticationException.class)
          .hasMessageContaining("unknown token");
      assertThat(names(reader)).isEqualTo(ALL);
      assertThat(issued).hasSize(2);
    }
  }
}
