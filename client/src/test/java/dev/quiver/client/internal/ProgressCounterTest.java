package dev.quiver.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.client.TransferProgress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProgressCounterTest {
  private final List<TransferProgress> seen = new ArrayList<>();

  @Test
  void reportsRunningTotalsAfterEachBatch() {
    ProgressCounter counter = new ProgressCounter(seen::add, 1000, 30);
    counter.addBytes(100); // schema, dictionaries: counted, not reported
    assertThat(seen).isEmpty();
    counter.addBatch(200, 10);
    counter.addBatch(300, 20);

    assertThat(seen).containsExactly(new TransferProgress(300, 1, 10, 1000, 30),
        new TransferProgress(600, 2, 30, 1000, 30));
    assertThat(counter.snapshot()).isEqualTo(new TransferProgress(600, 2, 30, 1000, 30));
  }

  @Test
  void setTakesTheTotalsAnAcknowledgementReports() {
    ProgressCounter counter = new ProgressCounter(seen::add, -1, -1);
    counter.addBytes(500);
    counter.set(4, 400);
    counter.set(5, 450);
    assertThat(seen).containsExactly(new TransferProgress(500, 4, 400, -1, -1),
        new TransferProgress(500, 5, 450, -1, -1));
  }

  @Test
  void fractionIsByBytesAndUnknownWithoutATotal() {
    assertThat(new TransferProgress(250, 1, 1, 1000, 10).fraction()).isEqualTo(0.25);
    assertThat(new TransferProgress(2000, 1, 1, 1000, 10).fraction()).isEqualTo(1.0);
    assertThat(new TransferProgress(250, 1, 1, -1, -1).fraction()).isEqualTo(-1);
    assertThat(new TransferProgress(0, 0, 0, 0, 0).fraction()).isEqualTo(-1);
  }
}
