package dev.quiver.server.flight;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quiver.protocol.ProtocolException;
import dev.quiver.server.auth.AsCaller;
import dev.quiver.server.auth.Grant;
import dev.quiver.server.auth.PermissionDeniedException;
import dev.quiver.server.auth.Principal;
import dev.quiver.server.auth.Scope;
import dev.quiver.server.catalog.Catalog;
import dev.quiver.server.catalog.DataRoot;
import dev.quiver.server.catalog.DatasetNotFoundException;
import dev.quiver.server.catalog.DatasetUnreadableException;
import dev.quiver.server.ipc.MappedFile;
import dev.quiver.server.ipc.RealIpcFiles;
import dev.quiver.server.upload.DatasetStore;
import dev.quiver.server.upload.UploadStaging;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * DoAction bodies are arbitrary bytes. Each action either answers or fails with what the service
 * answers as a client's or a dataset's problem (ProtocolException, not found, unreadable,
 * permission denied), nothing else. The caller may read everything and change nothing, so the
 * writing actions are fuzzed up to their permission check and the data root never changes. The
 * root holds datasets of every form, a broken file, and symbolic links to data outside it:
 * {@code describe} may only ever describe the datasets inside, by a path inside.
 */
class ServerActionsFuzzTest {
  private static final List<String> ACTIONS = List.of("describe", "delete", "rename", "refresh", "stats");
  private static final Set<String> SERVABLE = Set.of("sales", "stream", "parts", "plain");
  private static final Principal READER = new Principal("reader", List.of(Grant.all(Scope.READ)));
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  private static Catalog catalog;
  private static BufferAllocator allocator;
  private static ServerActions actions;

  @BeforeAll
  static void fillRoot() throws IOException {
    Path root = Files.createDirectories(dir.resolve("root"));
    Path outside = Files.createDirectories(dir.resolve("outside"));
    byte[] file = RealIpcFiles.load("file");
    Files.write(root.resolve("sales.arrow"), file);
    Files.write(root.resolve("stream.arrows"), RealIpcFiles.load("stream"));
    Files.write(root.resolve("plain"), file);
    Files.write(root.resolve("broken.arrow"), "not arrow".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    Path parts = Files.createDirectories(root.resolve("parts.parts"));
    Files.write(parts.resolve("part-0.arrow"), file);
    Files.write(parts.resolve("part-1.arrow"), file);
    Files.createSymbolicLink(root.resolve("escape.arrow"), Files.write(outside.resolve("secret.arrow"), file));
    Files.createSymbolicLink(root.resolve("linked"), outside);
    DataRoot dataRoot = DataRoot.open(root);
    catalog = new Catalog(dataRoot);
    allocator = new RootAllocator();
    actions = new ServerActions(catalog, new DatasetStore(dataRoot, catalog, UploadStaging.open(root)), allocator);
  }

  @AfterAll
  static void closeRoot() {
    catalog.close();
    allocator.close();
  }

  @FuzzTest
  @DictionaryEntries({"{\"dataset\": \"", "\"from\": \"", "\"to\": \"", "\"overwrite\": true", "sales", "parts",
      "plain", "broken", "escape", "linked/secret", "stream", "..", "/", ".parts", ".arrow", "\\u0000"})
  void run(FuzzedDataProvider data) throws Exception {
    String type = ACTIONS.get(data.consumeInt(0, ACTIONS.size() - 1));
    byte[] body = data.consumeRemainingAsBytes();
    int mappingsBefore = MappedFile.liveMappings();
    byte[] answer;
    try {
      answer = AsCaller.call(READER, () -> actions.run(type, body));
    } catch (ProtocolException | DatasetNotFoundException | DatasetUnreadableException
        | PermissionDeniedException e) {
      assertThat(e.getMessage()).as("what the client is told").isNotBlank();
      return;
    } finally {
      catalog.invalidate();
      assertThat(MappedFile.liveMappings()).as("live mappings").isEqualTo(mappingsBefore);
    }
    assertThat(type).as("an action the reader may not run").isEqualTo("describe");
    JsonNode description = JSON.readTree(answer);
    assertThat(description.get("dataset").asText()).isIn(SERVABLE);
    Path path = Path.of(description.get("path").asText());
    assertThat(path.isAbsolute()).isFalse();
    assertThat(path.normalize().startsWith("..")).as("described path %s", path).isFalse();
  }
}
