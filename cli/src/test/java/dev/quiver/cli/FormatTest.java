package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.client.TransferProgress;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Human-readable numbers, tables and the progress line. */
class FormatTest {
  @Test
  void bytesUseBinaryUnitsWithOneDecimal() {
    assertThat(Format.bytes(0)).isEqualTo("0 B");
    assertThat(Format.bytes(1023)).isEqualTo("1023 B");
    assertThat(Format.bytes(1024)).isEqualTo("1.0 KiB");
    assertThat(Format.bytes(1536)).isEqualTo("1.5 KiB");
    assertThat(Format.bytes(2_040_109_465L)).isEqualTo("1.9 GiB");
    assertThat(Format.bytes((1L << 20) - 1)).isEqualTo("1.0 MiB"); // not "1024.0 KiB"
    assertThat(Format.bytes(5L << 50)).isEqualTo("5.0 PiB");
    assertThat(Format.bytes(-1)).isEqualTo("?");
  }

  @Test
  void countsHaveThousandsSeparators() {
    assertThat(Format.count(10_000)).isEqualTo("10,000");
    assertThat(Format.count(7)).isEqualTo("7");
    assertThat(Format.count(-1)).isEqualTo("?");
    assertThat(Format.plural(1, "batch", "batches")).isEqualTo("1 batch");
    assertThat(Format.plural(1_500, "row", "rows")).isEqualTo("1,500 rows");
  }

  @Test
  void tablesPadColumnsAndRightAlignNumbers() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new Table("NAME", "ROWS").alignRight(1).add("a", "10,000").add("longer/name", "5")
        .print(new PrintStream(bytes, true, StandardCharsets.UTF_8));

    assertThat(bytes.toString(StandardCharsets.UTF_8).lines()).containsExactly(
        "NAME           ROWS",
        "a            10,000",
        "longer/name       5");
  }

  @Test
  void theProgressLineShowsPercentWhenTheTotalIsKnown() {
    String known = ProgressBar.line(new TransferProgress(512L << 20, 3, 300, 1L << 30, 1_000), 2.0);
    String unknown = ProgressBar.line(new TransferProgress(3L << 20, 1, 10, -1, -1), 1.0);

    assertThat(known).isEqualTo(" 50% [############            ] 512.0 MiB / 1.0 GiB  3 batches  256.0 MiB/s");
    assertThat(unknown).isEqualTo("3.0 MiB  1 batch  3.0 MiB/s");
  }

  @Test
  void aTransferWithAllItsRowsIsShownComplete() {
    // A download counts the batches' bytes, not the schema's, so its bytes stop just short of the total.
    String line = ProgressBar.line(new TransferProgress(418_400, 10, 10_000, 418_744, 10_000), 1.0);

    assertThat(line).startsWith("100% [########################] ");
  }
}
