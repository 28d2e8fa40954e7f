package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** mv and rm, and what ls shows afterwards. */
class ManageCommandsTest extends ServerFixture {
  @TempDir
  Path work;

  private Path file;

  @BeforeEach
  void downloadSample() throws IOException {
    file = work.resolve("sample.arrow");
    assertThat(quiver("get", "sample", file.toString()).exitCode()).isZero();
  }

  private void upload(String name) {
    Cli.Result put = quiver("put", file.toString(), name, "--mode", "overwrite");
    assertThat(put.exitCode()).as(put.toString()).isZero();
  }

  /** The dataset names ls --json lists. */
  private static java.util.List<String> names() {
    return quiver("ls", "--json").json().findValuesAsText("name");
  }

  @Test
  void mvRenamesADataset() {
    upload("mv/a");

    Cli.Result result = quiver("mv", "mv/a", "mv/b");

    assertThat(result.exitCode()).as(result.toString()).isZero();
    assertThat(result.out()).isEqualTo("renamed 'mv/a' to 'mv/b'" + System.lineSeparator());
    assertThat(names()).contains("mv/b").doesNotContain("mv/a");
  }

  @Test
  void mvOntoAnExistingDatasetNeedsOverwrite() {
    upload("mv/x");
    upload("mv/y");

    Cli.Result refused = quiver("mv", "mv/x", "mv/y");
    Cli.Result json = quiver("mv", "mv/x", "mv/y", "--overwrite", "--json");

    assertThat(refused.exitCode()).isEqualTo(ExitCodes.EXISTS);
    assertThat(refused.err()).startsWith("quiver: ").contains("mv/y");
    assertThat(json.exitCode()).as(json.toString()).isZero();
    assertThat(json.json().get("from").asText()).isEqualTo("mv/x");
    assertThat(json.json().get("to").asText()).isEqualTo("mv/y");
    assertThat(json.json().get("overwrite").asBoolean()).isTrue();
    assertThat(names()).contains("mv/y").doesNotContain("mv/x");
  }

  @Test
  void mvOfAMissingDatasetIsNotFound() {
    assertThat(quiver("mv", "mv/none", "mv/other").exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
  }

  @Test
  void rmDeletesADataset() {
    upload("rm/a");
    upload("rm/b");

    Cli.Result human = quiver("rm", "rm/a");
    Cli.Result json = quiver("rm", "rm/b", "--json");

    assertThat(human.exitCode()).as(human.toString()).isZero();
    assertThat(human.out()).isEqualTo("deleted 'rm/a'" + System.lineSeparator());
    assertThat(json.exitCode()).as(json.toString()).isZero();
    assertThat(json.json().get("deleted").asText()).isEqualTo("rm/b");
    assertThat(quiver("ls", "rm/", "--json").json()).isEmpty();
    assertThat(quiver("info", "rm/a").exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
  }

  @Test
  void rmOfAMissingDatasetIsNotFound() {
    Cli.Result result = quiver("rm", "rm/none", "--json");

    assertThat(result.exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
    assertThat(result.json().get("kind").asText()).isEqualTo("not_found");
    assertThat(result.err()).startsWith("quiver: ").contains("rm/none");
  }
}
