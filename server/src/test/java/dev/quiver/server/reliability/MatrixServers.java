package dev.quiver.server.reliability;

import dev.quiver.server.auth.AuthFixture;
import dev.quiver.server.config.CallLimits;
import dev.quiver.server.config.ServerConfig;
import dev.quiver.server.ipc.ArrowFiles;
import dev.quiver.server.testing.TestServer;
import dev.quiver.server.testing.TestTables;
import dev.quiver.server.upload.UploadLimits;
import dev.quiver.server.upload.UploadStaging;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;

/**
 * The servers the bad inputs are sent to, each over a data directory of its own:
 *
 * <ul>
 *   <li>{@code open}: default settings, no authentication; holds {@code sales} (the ArrowFiles
 *       table, 4 batches), {@code other} (another schema), {@code logs} (a parts directory), the
 *       broken files of {@link CorruptFiles} under {@code broken/}, a symbolic link {@code escape}
 *       to an Arrow file outside the data directory, and {@code notadir}, a plain file;
 *   <li>{@code limited}: 1 stream, 1 upload, uploads of at most {@value #MAX_UPLOAD_BYTES} bytes,
 *       messages of at most {@value #MAX_MESSAGE_BYTES} bytes, {@value #IDLE_SECONDS} s upload idle
 *       timeout; holds {@code big} (16 MiB, enough to stay paused under flow control) and {@code small};
 *   <li>{@code reserve}: a free-disk reserve no disk has;
 *   <li>{@code secured}: the auth file of {@link AuthFixture}, tokens issued for 1 s; holds
 *       {@code sales} and {@code other}.
 * </ul>
 */
final class MatrixServers implements AutoCloseable {
  static final int MAX_UPLOAD_BYTES = 32 * 1024;
  static final int MAX_MESSAGE_BYTES = 64 * 1024;
  static final int IDLE_SECONDS = 3;
  static final Duration TOKEN_TTL = Duration.ofSeconds(1);

  final Path openData;
  final Path limitedData;
  final Path outside;
  final TestServer open;
  final TestServer limited;
  final TestServer reserve;
  final TestServer secured;
  private final List<RawFlight> connections = new ArrayList<>();

  MatrixServers(Path root, BufferAllocator allocator) throws Exception {
    openData = Files.createDirectories(root.resolve("open"));
    limitedData = Files.createDirectories(root.resolve("limited"));
    Path reserveData = Files.createDirectories(root.resolve("reserve"));
    Path securedData = Files.createDirectories(root.resolve("secured"));
    outside = Files.createDirectories(root.resolve("outside"));

    ArrowFiles.write(allocator, openData.resolve("sales.arrow"), ArrowFiles.Spec.file(4, 10));
    TestTables.writeNumbers(allocator, openData.resolve("other.arrow"), 1, 10);
    Files.createDirectories(openData.resolve("logs.parts"));
    ArrowFiles.write(allocator, openData.resolve("logs.parts/part-000000.arrow"), ArrowFiles.Spec.file(1, 5));
    ArrowFiles.write(allocator, openData.resolve("logs.parts/part-000001.arrow"), ArrowFiles.Spec.file(1, 5));
    Files.writeString(openData.resolve("notadir"), "a plain file, not a directory and not a dataset");
    ArrowFiles.write(allocator, outside.resolve("secret.arrow"), ArrowFiles.Spec.file(1, 3));
    Files.createSymbolicLink(openData.resolve("escape.arrow"), outside.resolve("secret.arrow"));
    CorruptFiles.writeAll(allocator, openData.resolve("broken"));

    TestTables.writeNumbers(allocator, limitedData.resolve("big.arrow"), 16, 65_536);
    TestTables.writeNumbers(allocator, limitedData.resolve("small.arrow"), 1, 10);

    ArrowFiles.write(allocator, securedData.resolve("sales.arrow"), ArrowFiles.Spec.file(2, 10));
    TestTables.writeNumbers(allocator, securedData.resolve("other.arrow"), 1, 10);
    Path authFile = AuthFixture.write(Files.createDirectories(root.resolve("auth")));

    open = TestServer.start(openData);
    limited = TestServer.start(ServerConfig.forTesting(limitedData)
        .withLimits(new CallLimits(1, 1, Duration.ofSeconds(IDLE_SECONDS), MAX_MESSAGE_BYTES))
        .withUploadLimits(new UploadLimits(MAX_UPLOAD_BYTES, 0)));
    reserve = TestServer.start(ServerConfig.forTesting(reserveData)
        .withUploadLimits(new UploadLimits(UploadLimits.DEFAULT_MAX_UPLOAD_BYTES, Long.MAX_VALUE)));
    ServerConfig securedConfig = ServerConfig.forTesting(securedData);
    secured = TestServer.start(securedConfig.withOperations(
        securedConfig.operations().withAuthFile(authFile).withTokenTtl(TOKEN_TTL)));
  }

  /** A new connection to {@code server}, sending {@code authorization} (null: none) with every call. */
  RawFlight connect(TestServer server, String authorization) {
    RawFlight connection = new RawFlight(server.server().port(), authorization);
    connections.add(connection);
    return connection;
  }

  /** Whether the limited server's staging directory holds an upload under way. */
  boolean limitedUploadStaged() throws Exception {
    Path staging = limitedData.resolve(UploadStaging.DIRECTORY);
    if (!Files.isDirectory(staging)) {
      return false;
    }
    try (Stream<Path> files = Files.list(staging)) {
      return files.findAny().isPresent();
    }
  }

  /** What differs between machines and runs (data directory paths, free disk space), replaced by placeholders. */
  String normalize(String message) {
    return message.replace(openData.toString(), "<data>").replace(limitedData.toString(), "<data>")
        .replace(outside.toString(), "<outside>")
        .replaceAll("has \\d+ bytes free", "has <N> bytes free"); // the disk's free space changes
  }

  @Override
  public void close() throws Exception {
    for (RawFlight connection : connections) {
      connection.close();
    }
    for (TestServer server : new TestServer[] {secured, reserve, limited, open}) {
      if (server != null) {
        server.close();
      }
    }
  }
}
