package dev.quiver.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CancellationTest {
  @Test
  void cancellingRunsEachCallbackOnceAndIsPermanent() {
    Cancellation cancellation = new Cancellation();
    AtomicInteger a = new AtomicInteger();
    AtomicInteger b = new AtomicInteger();
    cancellation.onCancel(a::incrementAndGet);
    cancellation.onCancel(b::incrementAndGet);
    assertThat(cancellation.isCancelled()).isFalse();

    cancellation.cancel();
    cancellation.cancel();
    assertThat(cancellation.isCancelled()).isTrue();
    assertThat(a).hasValue(1);
    assertThat(b).hasValue(1);
  }

  @Test
  void aCallbackRegisteredAfterCancellingRunsAtOnce() {
    Cancellation cancellation = new Cancellation();
    cancellation.cancel();
    AtomicInteger runs = new AtomicInteger();
    cancellation.onCancel(runs::incrementAndGet).close();
    assertThat(runs).hasValue(1);
  }

  @Test
  void aClosedRegistrationIsNotRun() {
    Cancellation cancellation = new Cancellation();
    AtomicInteger kept = new AtomicInteger();
    AtomicInteger dropped = new AtomicInteger();
    cancellation.onCancel(kept::incrementAndGet);
    Cancellation.Registration registration = cancellation.onCancel(dropped::incrementAndGet);
    registration.close();
    registration.close();
    cancellation.cancel();
    assertThat(kept).hasValue(1);
    assertThat(dropped).hasValue(0);
  }

  @Test
  void aCallbackMayRegisterOrCancelWithoutDeadlock() {
    Cancellation cancellation = new Cancellation();
    AtomicInteger inner = new AtomicInteger();
    cancellation.onCancel(() -> {
      cancellation.cancel(); // re-entrant: a no-op
      cancellation.onCancel(inner::incrementAndGet); // already cancelled: runs at once
    });
    cancellation.cancel();
    assertThat(inner).hasValue(1);
  }
}
