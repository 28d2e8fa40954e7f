package dev.quiver.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.server.ipc.ArrowFiles;
import dev.quiver.server.ipc.ArrowFiles.Spec;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Failures that never reach a working server: invalid names (refused before any call), a server
 * that is down or does not answer, malformed addresses and options.
 */
class ClientErrorsTest {
  @TempDir Path local;
  private BufferAllocator allocator;
  /** A loopback port nothing listens on. */
  private int closedPort;
  private String downUri;

  @BeforeEach
  void setUp() throws IOException {
    allocator = new RootAllocator();
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    downUri = "grpc://127.0.0.1:" + closedPort;
  }

  @AfterEach
  void tearDown() {
    assertThat(allocator.getAllocatedMemory()).isZero();
    allocator.close();
  }

  private QuiverClient client(String uri) {
    return QuiverClient.builder(uri).allocator(allocator).build();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "/etc/passwd", "a//b", "trailing/", "a/../b", "..", "./a", "a\\b", "tab\there", "nul\0"})
  void invalidNamesAreRefusedBeforeAnyCall(String name) throws Exception {
    // The server is down: a name that got as far as a call would fail with a NetworkException.
    Path file = ArrowFiles.write(local.resolve("a.arrow"), Spec.file(1, 5));
    try (QuiverClient client = client(downUri)) {
      List<Consumer<QuiverClient>> calls = List.of(
          c -> c.describe(name),
          c -> c.schema(name),
          c -> c.delete(name),
          c -> c.rename(name, "fine", false),
          c -> c.rename("fine", name, true),
          c -> c.read(ReadRequest.of(name)),
          c -> c.download(name, local.resolve("out.arrow"), DownloadOptions.defaults()),
          c -> c.upload(file, name, UploadOptions.defaults()));
      for (Consumer<QuiverClient> call : calls) {
        assertThatThrownBy(() -> call.accept(client)).isInstanceOf(InvalidRequestException.class)
            .hasMessageContaining("invalid");
      }
    }
    try (Stream<Path> files = Files.list(local)) {
      assertThat(files).extracting(p -> p.getFileName().toString()).containsExactly("a.arrow");
    }
  }

  @Test
  void anInvalidNameInAnIteratorUploadIsRefusedBeforeAnyCall() {
    Spec spec = Spec.file(1, 5).withoutDictionary();
    try (QuiverClient client = client(downUri);
         VectorSchemaRoot root = VectorSchemaRoot.create(ArrowFiles.memorySchema(spec), allocator)) {
      assertThatThrownBy(() -> client.upload(root.getSchema(), List.of(root).iterator(), "../x",
          UploadOptions.defaults())).isInstanceOf(InvalidRequestException.class);
    }
  }

  @Test
  void aServerThatIsDownIsANetworkErrorNamingTheAddress() throws Exception {
    Path file = ArrowFiles.write(local.resolve("a.arrow"), Spec.file(1, 5));
    try (QuiverClient client = client(downUri)) {
      List<Consumer<QuiverClient>> calls = List.of(
          c -> c.list(""),
          c -> c.describe("sales"),
          c -> c.schema("sales"),
          c -> c.download("sales", local.resolve("out.arrow"), DownloadOptions.defaults()),
          c -> c.upload(file, "sales", UploadOptions.defaults()),
          c -> {
            try (BatchStream stream = c.read(ReadRequest.of("sales"))) {
              stream.next();
            }
          });
      for (Consumer<QuiverClient> call : calls) {
        assertThatThrownBy(() -> call.accept(client)).isInstanceOf(NetworkException.class)
            .hasMessageContaining("127.0.0.1:" + closedPort);
      }
    }
    try (Stream<Path> files = Files.list(local)) {
      assertThat(files).extracting(p -> p.getFileName().toString()).containsExactly("a.arrow");
    }
  }

  @Test
  void aServerThatNeverAnswersHitsTheCallDeadline() throws Exception {
    // A socket that is listening but never speaks HTTP/2: the connection opens, no answer comes.
    try (ServerSocket silent = new ServerSocket()) {
      silent.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      try (QuiverClient client = QuiverClient.builder("grpc://127.0.0.1:" + silent.getLocalPort())
          .allocator(allocator).callTimeout(Duration.ofMillis(300)).build()) {
        assertThatThrownBy(() -> client.describe("sales")).isInstanceOf(NetworkException.class)
            .hasMessageContaining("sales").hasMessageContaining("in time");
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"http://localhost:8815", "localhost:8815", "grpc://localhost", "grpc+tls://", "not a uri",
      "file:///tmp/x"})
  void malformedAddressesAreRefused(String uri) {
    assertThatThrownBy(() -> QuiverClient.builder(uri)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(uri);
  }

  @Test
  void aNullAddressIsRefused() {
    assertThatThrownBy(() -> QuiverClient.builder(null)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void acceptedAddressForms() {
    for (String uri : List.of("grpc://localhost:8815", "grpc+tcp://127.0.0.1:1", "grpc://[::1]:8815")) {
      try (QuiverClient client = client(uri)) {
        assertThat(client.target()).isEqualTo(uri); // building does not dial
      }
    }
  }

  @Test
  void badOptionsAreRefused() {
    QuiverClient.Builder builder = QuiverClient.builder("grpc://localhost:8815");
    assertThatThrownBy(() -> builder.callTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.transferTimeout(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.bearerToken(null)).isInstanceOf(NullPointerException.class);
    Path pem = local.resolve("ca.pem");
    assertThatThrownBy(() -> QuiverClient.builder("grpc://localhost:8815").trustedCertificates(pem).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("grpc+tls");
    assertThatThrownBy(() -> QuiverClient.builder("grpc+tls://localhost:8815").allocator(allocator)
        .trustedCertificates(pem).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("TLS");
  }
}
