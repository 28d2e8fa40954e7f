package dev.quiver.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ByteSizeConverterTest {
  @Test
  void parsesBytesAndBinaryUnits() {
    assertThat(ByteSizeConverter.parse("1048576")).isEqualTo(1 << 20);
    assertThat(ByteSizeConverter.parse("64KiB")).isEqualTo(64 << 10);
    assertThat(ByteSizeConverter.parse("256MiB")).isEqualTo(256L << 20);
    assertThat(ByteSizeConverter.parse("2g")).isEqualTo(2L << 30);
    assertThat(ByteSizeConverter.parse(" 1_000 ")).isEqualTo(1000);
  }

  @Test
  void rejectsNonsenseWithAHint() {
    assertThatThrownBy(() -> ByteSizeConverter.parse("lots")).isInstanceOf(CommandLine.TypeConversionException.class)
        .hasMessageContaining("KiB, MiB, GiB");
    assertThat(ByteSizeConverter.parse("0")).isZero();
    assertThatThrownBy(() -> ByteSizeConverter.parse("-5")).hasMessageContaining("negative");
    assertThatThrownBy(() -> ByteSizeConverter.parse("99999999999GiB")).hasMessageContaining("is not a size");
  }
}
