package dev.quiver.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.protocol.UploadRequest.Compression;
import dev.quiver.protocol.UploadRequest.Mode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The option and request value types: defaults, withers, validation. */
class OptionsTest {
  @Test
  void downloadDefaultsAndWithers() {
    DownloadOptions defaults = DownloadOptions.defaults();
    assertThat(defaults.parallelism()).isEqualTo(4);
    assertThat(defaults.maxResumes()).isEqualTo(5);
    assertThat(defaults.overwrite()).isFalse();
    assertThat(defaults.progress()).isSameAs(ProgressListener.NONE);
    assertThat(defaults.cancellation().isCancelled()).isFalse();
    assertThat(DownloadOptions.defaults().cancellation()).as("one per download").isNotSameAs(defaults.cancellation());

    Cancellation cancellation = new Cancellation();
    ProgressListener listener = p -> { };
    DownloadOptions options = defaults.withParallelism(1).withMaxResumes(0).withOverwrite(true)
        .withProgress(listener).withCancellation(cancellation);
    assertThat(options).isEqualTo(new DownloadOptions(1, 0, true, listener, cancellation));
    assertThat(defaults.parallelism()).as("immutable").isEqualTo(4);
  }

  @Test
  void downloadOptionsAreValidated() {
    DownloadOptions defaults = DownloadOptions.defaults();
    assertThatThrownBy(() -> defaults.withParallelism(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> defaults.withMaxResumes(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> defaults.withProgress(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> defaults.withCancellation(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void uploadDefaultsAndWithers() {
    UploadOptions defaults = UploadOptions.defaults();
    assertThat(defaults.mode()).isEqualTo(Mode.CREATE);
    assertThat(defaults.compression()).isEqualTo(Compression.NONE);
    UploadOptions options = defaults.withMode(Mode.APPEND).withCompression(Compression.ZSTD);
    assertThat(options.mode()).isEqualTo(Mode.APPEND);
    assertThat(options.compression()).isEqualTo(Compression.ZSTD);
    assertThatThrownBy(() -> defaults.withMode(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> defaults.withCompression(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void readRequestsBecomeQuiverTickets() {
    assertThat(ReadRequest.of("sales/2024").toString()).isEqualTo("{\"dataset\":\"sales/2024\"}");
    ReadRequest request = ReadRequest.of("sales").withColumns("total", "id").withBatches(2, 5);
    assertThat(request.dataset()).isEqualTo("sales");
    assertThat(request.toTicket().columns()).contains(List.of("total", "id"));
    assertThat(request.toString()).isEqualTo("{\"dataset\":\"sales\",\"columns\":[\"total\",\"id\"],\"batches\":[2,5]}");
    List<String> columns = new ArrayList<>(List.of("a"));
    ReadRequest copied = ReadRequest.of("x").withColumns(columns);
    columns.add("b");
    assertThat(copied.toTicket().columns()).as("copied").contains(List.of("a"));
    assertThatThrownBy(() -> ReadRequest.of(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void aDescriptionCopiesItsColumns() {
    List<ColumnDescription> columns = new ArrayList<>(List.of(new ColumnDescription("id", "Int(64, true)", false,
        false)));
    DatasetDescription d = new DatasetDescription("x", "x.arrow", "file", 1, 1, 1, 1, "none", Instant.EPOCH, columns);
    columns.clear();
    assertThat(d.columns()).hasSize(1);
  }
}
