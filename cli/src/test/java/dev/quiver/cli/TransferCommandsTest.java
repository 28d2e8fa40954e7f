package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quiver.client.Cancellation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** get and put: summaries, JSON, round trips, overwriting, upload modes, progress and Ctrl-C. */
class TransferCommandsTest extends ServerFixture {
  @TempDir
  Path work;

  @Test
  void getWritesTheDatasetAndPrintsASummary() throws IOException {
    Path file = work.resolve("sample.arrow");

    Cli.Result result = quiver("get", "sample", file.toString());

    assertThat(result.exitCode()).as(result.toString()).isZero();
    assertThat(result.out()).matches("downloaded 'sample' to " + java.util.regex.Pattern.quote(file.toString())
        + ": 10,000 rows, 10 batches, \\d+\\.\\d KiB in \\d+\\.\\d\\d s \\(.*/s\\), 0 resumes\\R");
    assertThat(result.err()).isEmpty(); // no terminal here: no progress bar by default
    IpcFiles.Content content = IpcFiles.read(file);
    assertThat(content.rows()).isEqualTo(10_000);
    assertThat(content.batches()).isEqualTo(10);
  }

  @Test
  void getJsonReportsTheDownload() throws IOException {
    Path file = work.resolve("sample.arrow");

    Cli.Result result = quiver("get", "sample", file.toString(), "--json", "--parallel", "2");

    assertThat(result.exitCode()).as(result.toString()).isZero();
    JsonNode json = result.json();
    assertThat(json.get("dataset").asText()).isEqualTo("sample");
    assertThat(json.get("file").asText()).isEqualTo(file.toString());
    assertThat(json.get("rows").asLong()).isEqualTo(10_000);
    assertThat(json.get("batches").asLong()).isEqualTo(10);
    assertThat(json.get("bytes").asLong()).isEqualTo(Files.size(file));
    assertThat(json.get("seconds").asDouble()).isPositive();
    assertThat(json.get("resumes").asInt()).isZero();
  }

  @Test
  void getIntoAnArrowsFileWritesTheStreamFormat() throws IOException {
    Path file = work.resolve("sample.arrows");

    Cli.Result result = quiver("get", "sample", file.toString());

    assertThat(result.exitCode()).as(result.toString()).isZero();
    byte[] start = new byte[4];
    try (var in = Files.newInputStream(file)) {
      assertThat(in.read(start)).isEqualTo(4);
    }
    assertThat(start).containsExactly(0xff, 0xff, 0xff, 0xff); // a stream starts with a continuation marker
    assertThat(IpcFiles.read(file, true).rows()).isEqualTo(10_000);
  }

  @Test
  void getThenPutRoundTripsEveryRow() throws IOException {
    Path original = work.resolve("original.arrow");
    Path copy = work.resolve("copy.arrow");
    assertThat(quiver("get", "sample", original.toString()).exitCode()).isZero();

    Cli.Result put = quiver("put", original.toString(), "roundtrip/file");
    Cli.Result get = quiver("get", "roundtrip/file", copy.toString());

    assertThat(put.exitCode()).as(put.toString()).isZero();
    assertThat(put.out()).startsWith("uploaded " + original + " as 'roundtrip/file' (create): 10,000 rows, 10 batches, ")
        .endsWith("; the dataset now has 1 part" + System.lineSeparator());
    assertThat(get.exitCode()).as(get.toString()).isZero();
    IpcFiles.Content before = IpcFiles.read(original);
    IpcFiles.Content after = IpcFiles.read(copy);
    assertThat(after.schema()).isEqualTo(before.schema());
    assertThat(after.rows()).isEqualTo(10_000);
    assertThat(after.tsv()).isEqualTo(before.tsv());
  }

  @Test
  void putOfAStreamFormatFileRoundTripsToo() throws IOException {
    Path stream = work.resolve("sample.arrows");
    Path back = work.resolve("back.arrow");
    assertThat(quiver("get", "sample", stream.toString()).exitCode()).isZero();

    Cli.Result put = quiver("put", stream.toString(), "roundtrip/stream", "--json");
    Cli.Result get = quiver("get", "roundtrip/stream", back.toString());

    assertThat(put.exitCode()).as(put.toString()).isZero();
    assertThat(put.json().get("rows").asLong()).isEqualTo(10_000);
    assertThat(get.exitCode()).as(get.toString()).isZero();
    assertThat(IpcFiles.read(back).tsv()).isEqualTo(IpcFiles.read(stream, true).tsv());
  }

  @Test
  void getRefusesToReplaceAFileUnlessOverwriting() throws IOException {
    Path file = work.resolve("sample.arrow");
    Files.writeString(file, "precious");

    Cli.Result refused = quiver("get", "sample", file.toString());

    assertThat(refused.exitCode()).isEqualTo(ExitCodes.LOCAL_IO);
    assertThat(refused.err()).startsWith("quiver: ").contains("already exists").contains("--overwrite");
    assertThat(Files.readString(file)).isEqualTo("precious");

    Cli.Result replaced = quiver("get", "sample", file.toString(), "--overwrite");

    assertThat(replaced.exitCode()).as(replaced.toString()).isZero();
    assertThat(IpcFiles.read(file).rows()).isEqualTo(10_000);
  }

  @Test
  void putJsonReportsTheUploadResultAndModesControlExistingDatasets() throws IOException {
    Path file = work.resolve("sample.arrow");
    assertThat(quiver("get", "sample", file.toString()).exitCode()).isZero();

    JsonNode created = quiver("put", file.toString(), "modes", "--json").json();
    Cli.Result again = quiver("put", file.toString(), "modes", "--json");
    JsonNode overwritten = quiver("put", file.toString(), "modes", "--mode", "overwrite", "--json").json();
    JsonNode appended = quiver("put", file.toString(), "modes", "--mode", "APPEND", "--json").json();

    assertThat(created.get("dataset").asText()).isEqualTo("modes");
    assertThat(created.get("mode").asText()).isEqualTo("create");
    assertThat(created.get("batches").asLong()).isEqualTo(10);
    assertThat(created.get("rows").asLong()).isEqualTo(10_000);
    assertThat(created.get("bytes").asLong()).isPositive();
    assertThat(created.get("parts").asInt()).isEqualTo(1);
    assertThat(created.get("seconds").asDouble()).isPositive();
    assertThat(again.exitCode()).isEqualTo(ExitCodes.EXISTS);
    assertThat(again.json().get("kind").asText()).isEqualTo("exists");
    assertThat(overwritten.get("mode").asText()).isEqualTo("overwrite");
    assertThat(overwritten.get("parts").asInt()).isEqualTo(1);
    assertThat(appended.get("mode").asText()).isEqualTo("append");
    assertThat(appended.get("parts").asInt()).isEqualTo(2);
    assertThat(quiver("info", "modes", "--json").json().get("rows").asLong()).isEqualTo(20_000);
  }

  @Test
  void putWithCompressionStoresCompressedBatches() throws IOException {
    Path file = work.resolve("sample.arrow");
    Path back = work.resolve("back.arrow");
    assertThat(quiver("get", "sample", file.toString()).exitCode()).isZero();

    Cli.Result put = quiver("put", file.toString(), "compressed", "--compression", "zstd");

    assertThat(put.exitCode()).as(put.toString()).isZero();
    assertThat(quiver("info", "compressed", "--json").json().get("compression").asText()).isEqualTo("zstd");
    assertThat(quiver("get", "compressed", back.toString()).exitCode()).isZero();
  }

  @Test
  void progressIsDrawnOnStderrWhenForcedAndErasedBeforeTheSummary() throws IOException {
    Path file = work.resolve("sample.arrow");

    Cli.Result result = quiver("get", "sample", file.toString(), "--progress");

    assertThat(result.exitCode()).as(result.toString()).isZero();
    assertThat(result.err()).startsWith("\r").contains("100% [########################] ").contains("10 batches")
        .endsWith("\r").doesNotContain("\n");
    assertThat(result.out()).startsWith("downloaded 'sample'");
  }

  @Test
  void noProgressWinsAndJsonOutputHasNoProgressByDefault() throws IOException {
    Cli.Result disabled = quiver("get", "sample", work.resolve("a.arrow").toString(), "--no-progress");
    Cli.Result json = quiver("get", "sample", work.resolve("b.arrow").toString(), "--json");

    assertThat(disabled.exitCode()).isZero();
    assertThat(disabled.err()).isEmpty();
    assertThat(json.exitCode()).isZero();
    assertThat(json.err()).isEmpty();
    assertThat(json.json().get("rows").asLong()).isEqualTo(10_000);
  }

  @Test
  void ctrlCDuringADownloadLeavesNoFileAndExits130() throws IOException {
    Path file = work.resolve("cancelled.arrow");

    Cli.Result result = quiverWith(Cancellation::cancel, "get", "sample", file.toString(), "--json");

    assertThat(result.exitCode()).as(result.toString()).isEqualTo(ExitCodes.CANCELLED);
    assertThat(result.err()).startsWith("quiver: ").contains("cancelled");
    assertThat(result.json().get("kind").asText()).isEqualTo("cancelled");
    try (Stream<Path> left = Files.list(work)) {
      assertThat(left).isEmpty(); // neither the file nor spool or temporary files
    }
  }

  @Test
  void ctrlCDuringAnUploadStoresNothingAndExits130() throws IOException {
    Path file = work.resolve("sample.arrow");
    assertThat(quiver("get", "sample", file.toString()).exitCode()).isZero();

    Cli.Result result = quiverWith(Cancellation::cancel, "put", file.toString(), "never");

    assertThat(result.exitCode()).as(result.toString()).isEqualTo(ExitCodes.CANCELLED);
    assertThat(result.err()).contains("cancelled");
    assertThat(quiver("info", "never").exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
  }
}
