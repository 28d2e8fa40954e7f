package dev.quiver.server.upload;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.ByteString;
import dev.quiver.protocol.DatasetName;
import dev.quiver.protocol.ProtocolException;
import dev.quiver.protocol.UploadRequest;
import dev.quiver.server.auth.AsCaller;
import dev.quiver.server.auth.Principal;
import dev.quiver.server.catalog.Catalog;
import dev.quiver.server.catalog.DataRoot;
import dev.quiver.server.catalog.DatasetExistsException;
import dev.quiver.server.catalog.OpenDataset;
import dev.quiver.server.ipc.ArrowFiles.RawMessage;
import dev.quiver.server.ipc.FuzzedIpcMessages;
import dev.quiver.server.ipc.IpcFileCheck;
import dev.quiver.server.ipc.MappedFile;
import dev.quiver.server.ipc.RealIpcFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole DoPuts against a data root, without a server: a descriptor (path, upload command, or
 * arbitrary bytes) naming a new dataset or one that exists, then IPC messages
 * ({@link FuzzedIpcMessages}) and metadata-only messages, then the end of the stream. The session
 * may refuse with the exceptions the service answers as client errors (INVALID_ARGUMENT,
 * RESOURCE_EXHAUSTED, ALREADY_EXISTS), never anything else. Afterwards the staging directory is
 * empty, and a published dataset opens and serves part by part. Each run leaves the root as it found it.
 */
class UploadSessionFuzzTest {
  private static final DatasetName EXISTING = DatasetName.parse("existing");
  private static final DatasetName FRESH = DatasetName.parse("fuzz/fresh");
  private static final List<String> MODES = List.of("create", "overwrite", "append");
  private static final List<String> CODECS = List.of("none", "lz4", "zstd");
  /** Small, so that the size limit is reached too. */
  private static final UploadLimits LIMITS = new UploadLimits(256 << 10, 0);
  private static final int MAX_MESSAGES = 8;
  private static final UploadSession.Replies NO_REPLIES = new UploadSession.Replies() {
    @Override
    public void ack(byte[] appMetadata) {}

    @Override
    public void done() {}
  };

  @TempDir static Path rootDir;
  private static DataRoot root;
  private static Catalog catalog;
  private static DatasetStore store;
  private static BufferAllocator allocator;

  @BeforeAll
  static void openRoot() throws IOException {
    root = DataRoot.open(rootDir);
    catalog = new Catalog(root);
    store = new DatasetStore(root, catalog, UploadStaging.open(root.path()));
    allocator = new RootAllocator();
    restoreExisting();
  }

  @AfterAll
  static void closeRoot() {
    catalog.close();
    allocator.close();
  }

  @FuzzTest
  void upload(FuzzedDataProvider data) throws Exception {
    int mappingsBefore = MappedFile.liveMappings();
    UploadSession session = new UploadSession(store, LIMITS, allocator, NO_REPLIES);
    boolean published = AsCaller.call(Principal.UNRESTRICTED, () -> send(session, data));
    try {
      assertThat(stagedFiles()).as("files left in the staging directory").isEmpty();
      if (published) {
        checkServable(session.dataset());
      }
    } finally {
      if (published) {
        undo(session.dataset());
      }
      catalog.invalidate();
    }
    assertThat(MappedFile.liveMappings()).as("live mappings").isEqualTo(mappingsBefore);
    assertThat(allocator.getAllocatedMemory()).as("Arrow memory left by compression").isZero();
  }

  /** One DoPut; whether it published. */
  private static boolean send(UploadSession session, FuzzedDataProvider data) throws Exception {
    Flight.FlightDescriptor descriptor = descriptor(data);
    int messages = data.consumeInt(1, MAX_MESSAGES);
    try {
      for (int i = 0; i < messages; i++) {
        Flight.FlightData.Builder message = Flight.FlightData.newBuilder();
        if (i == 0 && descriptor != null) {
          message.setFlightDescriptor(descriptor);
        }
        if (data.consumeInt(0, 7) > 0) {
          RawMessage ipc = FuzzedIpcMessages.next(data);
          message.setDataHeader(ByteString.copyFrom(ipc.header())).setDataBody(ByteString.copyFrom(ipc.body()));
        } else {
          message.setAppMetadata(ByteString.copyFromUtf8("no IPC message"));
        }
        session.accept(message.build());
      }
      session.complete();
      return true;
    } catch (ProtocolException | UploadRejectedException | DatasetExistsException e) {
      assertThat(e.getMessage()).as("what the client is told").isNotBlank();
      return false;
    }
  }

  /** A path or command descriptor naming {@link #EXISTING} or {@link #FRESH}, an arbitrary command, or none. */
  private static Flight.FlightDescriptor descriptor(FuzzedDataProvider data) {
    DatasetName name = data.consumeBoolean() ? EXISTING : FRESH;
    return switch (data.consumeInt(0, 5)) {
      case 0 -> Flight.FlightDescriptor.newBuilder().setType(Flight.FlightDescriptor.DescriptorType.PATH)
          .addAllPath(name.segments()).build();
      case 1 -> null;
      case 2 -> command(ByteString.copyFrom(data.consumeBytes(data.consumeInt(0, 256))));
      default -> command(ByteString.copyFromUtf8("{\"dataset\": \"" + name + "\", \"mode\": \""
          + MODES.get(data.consumeInt(0, 2)) + "\", \"compression\": \"" + CODECS.get(data.consumeInt(0, 2)) + "\"}"));
    };
  }

  private static Flight.FlightDescriptor command(ByteString command) {
    return Flight.FlightDescriptor.newBuilder().setType(Flight.FlightDescriptor.DescriptorType.CMD)
        .setCmd(command).build();
  }

  private static List<Path> stagedFiles() throws IOException {
    Path staging = rootDir.resolve(UploadStaging.DIRECTORY);
    if (!Files.isDirectory(staging)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(staging)) {
      return files.toList();
    }
  }

  /** The published dataset opens (its parts agree on the schema), and each part indexes and serves. */
  private static void checkServable(DatasetName name) throws Exception {
    try (OpenDataset dataset = catalog.open(name)) {
      for (int p = 0; p < dataset.partCount(); p++) {
        assertThat(IpcFileCheck.check(dataset.file(p).path())).isEqualTo(IpcFileCheck.Outcome.INDEXED);
      }
    }
  }

  private static void undo(DatasetName name) throws Exception {
    store.delete(name);
    if (name.equals(EXISTING)) {
      restoreExisting();
    }
  }

  /** {@link #EXISTING} as a single real file, put in place by rename (a mapped file is never rewritten). */
  private static void restoreExisting() throws IOException {
    Path scratch = Files.write(rootDir.resolve("existing.tmp"), RealIpcFiles.load("file"));
    Files.move(scratch, rootDir.resolve("existing.arrow"), StandardCopyOption.ATOMIC_MOVE);
  }
}
