package dev.quiver.client.download;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DictionaryStateTest {
  private static final byte[] RED = {1, 1};
  private static final byte[] BLUE = {2, 2};
  private static final byte[] MORE = {3, 3};

  private final DictionaryState state = new DictionaryState();

  @Test
  void nothingIsInForceAtFirst() {
    assertThat(state.isInForce(0, RED)).isFalse();
    assertThat(state.wouldReplace(0, false)).isFalse();
    assertThat(state.wouldReplace(0, true)).isFalse();
  }

  @Test
  void aFullDictionaryIsInForceByItsDigest() {
    state.record(0, false, RED);
    assertThat(state.isInForce(0, RED)).isTrue();
    assertThat(state.isInForce(0, new byte[] {1, 1})).as("compared by content").isTrue();
    assertThat(state.isInForce(0, BLUE)).isFalse();
    assertThat(state.isInForce(1, RED)).as("per id").isFalse();
  }

  @Test
  void deltasAddToWhatIsInForce() {
    state.record(0, false, RED);
    state.record(0, true, MORE);
    assertThat(state.isInForce(0, RED)).isTrue();
    assertThat(state.isInForce(0, MORE)).isTrue();
    assertThat(state.wouldReplace(0, true)).as("another delta extends it").isFalse();
  }

  @Test
  void aFullDictionaryReplacesTheOneInForceAndItsDeltas() {
    state.record(0, false, RED);
    state.record(0, true, MORE);
    assertThat(state.wouldReplace(0, false)).isTrue();
    state.record(0, false, BLUE);
    assertThat(state.isInForce(0, BLUE)).isTrue();
    assertThat(state.isInForce(0, RED)).isFalse();
    assertThat(state.isInForce(0, MORE)).isFalse();
  }

  @Test
  void aDeltaFirstStartsTheState() {
    state.record(5, true, MORE);
    assertThat(state.isInForce(5, MORE)).isTrue();
    assertThat(state.wouldReplace(5, false)).isTrue();
  }

  @Test
  void idsAreIndependent() {
    state.record(0, false, RED);
    state.record(1, false, BLUE);
    assertThat(state.wouldReplace(2, false)).isFalse();
    state.record(1, false, MORE);
    assertThat(state.isInForce(0, RED)).isTrue();
    assertThat(state.isInForce(1, BLUE)).isFalse();
  }
}
