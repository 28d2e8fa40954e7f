package dev.quiver.server.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.quiver.server.upload.UploadStaging;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bad-input matrix: every malformed, hostile or unauthorized input in {@link ReadInputs},
 * {@link UploadInputs}, {@link ActionInputs}, {@link FileInputs} and {@link AccessInputs} is sent
 * to a real server over raw gRPC, and must get its status code, a message saying what is wrong and
 * naming the dataset. Then nothing may have been lost or left behind, and
 * docs/reliability/bad-inputs.md must be exactly the table these answers make
 * ({@link MatrixDocument}; {@code QUIVER_REGENERATE_DOCS=1} rewrites it).
 */
class BadInputMatrixTest {
  @TempDir static Path root;
  @TempDir static Path scratch;
  private static BufferAllocator allocator;
  private static MatrixServers servers;

  @BeforeAll
  static void start() throws Exception {
    allocator = new RootAllocator();
    servers = new MatrixServers(root, allocator);
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (servers != null) {
        servers.close();
      }
    } finally {
      assertThat(allocator.getAllocatedMemory()).isZero();
      allocator.close();
    }
  }

  @TestFactory
  Stream<DynamicTest> everyBadInputGetsItsStatus() throws Exception {
    UploadMessages messages = new UploadMessages(allocator);
    List<BadInput> rows = new ArrayList<>();
    rows.addAll(ReadInputs.rows(servers));
    rows.addAll(UploadInputs.rows(servers, messages, allocator, scratch));
    rows.addAll(ActionInputs.rows(servers));
    rows.addAll(FileInputs.rows(servers));
    rows.addAll(AccessInputs.rows(servers, messages));
    List<MatrixDocument.Answer> answers = new ArrayList<>();
    List<DynamicTest> tests = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      BadInput row = rows.get(i);
      tests.add(dynamicTest("#" + (i + 1) + " " + row.rpc() + " " + row.input(), () -> {
        RawFlight.Outcome raw = row.probe().run();
        RawFlight.Outcome outcome = new RawFlight.Outcome(raw.code(), servers.normalize(raw.message()));
        answers.add(new MatrixDocument.Answer(row, outcome));
        assertThat(outcome.code()).as("status of %s %s (message: %s)", row.rpc(), row.input(), outcome.message())
            .isEqualTo(row.expected());
        assertThat(outcome.message()).as("message of %s %s", row.rpc(), row.input()).contains(row.fragment());
        if (row.dataset() != null) {
          assertThat(outcome.message()).as("message of %s %s names the dataset", row.rpc(), row.input())
              .contains("'" + row.dataset() + "'"); // names are quoted in messages: 'sales'
        }
      }));
    }
    tests.add(dynamicTest("nothing was lost or left behind", BadInputMatrixTest::nothingLostOrLeft));
    tests.add(dynamicTest(MatrixDocument.RELATIVE_PATH + " is what the matrix answered", () -> {
      assertThat(answers).as("every row answered").hasSize(rows.size());
      Set<String> distinct = new HashSet<>();
      rows.forEach(row -> distinct.add(row.rpc() + " " + row.input()));
      assertThat(distinct).as("distinct inputs").hasSize(rows.size());
      String problem = MatrixDocument.compareOrRegenerate(MatrixDocument.render(answers));
      assertThat(problem).as("the document").isNull();
    }));
    return tests.stream();
  }

  /** The datasets the bad inputs aimed at are whole, nothing was stored, no upload is left in staging. */
  private static void nothingLostOrLeft() throws Exception {
    RawFlight open = servers.connect(servers.open, null);
    assertThat(open.doGet("sales".getBytes(StandardCharsets.UTF_8)).message()).isEqualTo("6 messages"); // schema, dictionary, 4 batches
    assertThat(open.doGet("other".getBytes(StandardCharsets.UTF_8)).message()).isEqualTo("2 messages");
    // schema, then per part its dictionary and its batch
    assertThat(open.doGet("logs".getBytes(StandardCharsets.UTF_8)).message()).isEqualTo("5 messages");
    assertThat(servers.outside.resolve("secret.arrow")).exists();
    assertThat(Files.isSymbolicLink(servers.openData.resolve("escape.arrow"))).isTrue();
    assertThat(servers.open.server().catalog().names()).extracting(Object::toString)
        .containsExactlyInAnyOrder("sales", "other", "logs", "broken/empty", "broken/garbage",
            "broken/bad-magic", "broken/truncated-footer", "broken/footer-length", "broken/message-length",
            "broken/truncated-body", "broken/mixed", "broken/hollow");
    assertThat(servers.limited.server().catalog().names()).extracting(Object::toString)
        .containsExactlyInAnyOrder("big", "small");
    for (Path data : List.of(servers.openData, servers.limitedData)) {
      Path staging = data.resolve(UploadStaging.DIRECTORY);
      if (Files.isDirectory(staging)) {
        try (Stream<Path> left = Files.list(staging)) {
          assertThat(left).as("left in %s", staging).isEmpty();
        }
      }
    }
  }
}
