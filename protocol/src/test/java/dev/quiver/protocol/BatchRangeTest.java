package dev.quiver.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BatchRangeTest {

  @Test
  void sizeAndBounds() {
    BatchRange range = new BatchRange(2, 5);
    assertThat(range.start()).isEqualTo(2);
    assertThat(range.end()).isEqualTo(5);
    assertThat(range.size()).isEqualTo(3);
    assertThat(range.fitsWithin(5)).isTrue();
    assertThat(range.fitsWithin(6)).isTrue();
    assertThat(range.fitsWithin(4)).isFalse();
    assertThat(range.fitsWithin(0)).isFalse();
  }

  @Test
  void emptyRanges() {
    assertThat(new BatchRange(0, 0).size()).isZero();
    assertThat(new BatchRange(0, 0).fitsWithin(0)).isTrue();
    assertThat(new BatchRange(4, 4).size()).isZero();
    assertThat(new BatchRange(4, 4).fitsWithin(3)).isFalse();
  }

  @Test
  void extremes() {
    BatchRange all = new BatchRange(0, Integer.MAX_VALUE);
    assertThat(all.size()).isEqualTo(Integer.MAX_VALUE);
    assertThat(all.fitsWithin(Integer.MAX_VALUE)).isTrue();
    assertThat(new BatchRange(Integer.MAX_VALUE, Integer.MAX_VALUE).size()).isZero();
  }

  @ParameterizedTest
  @CsvSource({"-1,0", "-1,5", "3,2", "1,0", "-2147483648,-2147483648", "2147483647,0", "0,-1"})
  void invalidRangesAreRejected(int start, int end) {
    assertThatThrownBy(() -> new BatchRange(start, end))
        .isInstanceOf(ProtocolException.class)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("invalid batch range [" + start + ", " + end + ")")
        .hasMessageContaining("0 <= start <= end");
  }

  @Test
  void toStringIsHalfOpen() {
    assertThat(new BatchRange(1, 3)).hasToString("[1, 3)");
  }

  @Test
  void valueEquality() {
    assertThat(new BatchRange(1, 3)).isEqualTo(new BatchRange(1, 3)).hasSameHashCodeAs(new BatchRange(1, 3))
        .isNotEqualTo(new BatchRange(1, 4)).isNotEqualTo(new BatchRange(0, 3));
  }
}
