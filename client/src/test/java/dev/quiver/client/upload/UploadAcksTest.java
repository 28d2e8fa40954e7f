package dev.quiver.client.upload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.client.ServerException;
import dev.quiver.client.TransferProgress;
import dev.quiver.client.UploadResult;
import dev.quiver.client.internal.ProgressCounter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class UploadAcksTest {
  private final List<TransferProgress> seen = new ArrayList<>();
  private final UploadAcks acks = new UploadAcks(new ProgressCounter(seen::add, 100, 30));

  private void accept(String json) {
    acks.accept(json.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void batchAcknowledgementsReportProgressAndTheFinalOneIsTheResult() {
    accept("{\"batches\": 1, \"rows\": 10}");
    accept("{\"batches\": 3, \"rows\": 30}");
    accept("{\"dataset\": \"sales\", \"mode\": \"append\", \"batches\": 3, \"rows\": 30, \"bytes\": 4096,"
        + " \"parts\": 2, \"durable\": true}");

    assertThat(seen).extracting(TransferProgress::batches).containsExactly(1L, 3L, 3L);
    assertThat(seen).extracting(TransferProgress::rows).containsExactly(10L, 30L, 30L);
    assertThat(acks.result("upload")).isEqualTo(new UploadResult("sales", "append", 3, 30, 4096, 2));
  }

  @Test
  void foreignOrEmptyMetadataIsIgnored() {
    acks.accept(new byte[0]);
    accept("not json at all");
    accept("{\"something\": \"else\"}");
    assertThat(seen).isEmpty();
  }

  @Test
  void withoutTheFinalAcknowledgementTheOutcomeIsUnknown() {
    accept("{\"batches\": 1, \"rows\": 10}");
    assertThatThrownBy(() -> acks.result("upload of x")).isInstanceOf(ServerException.class)
        .hasMessageContaining("upload of x").hasMessageContaining("unknown");
  }
}
