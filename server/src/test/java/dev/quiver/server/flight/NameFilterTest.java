package dev.quiver.server.flight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.protocol.DatasetName;
import dev.quiver.protocol.ProtocolException;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class NameFilterTest {
  private static final List<DatasetName> NAMES = List.of(
      DatasetName.parse("sales"), DatasetName.parse("sales/2024"), DatasetName.parse("sales/2024/q1"),
      DatasetName.parse("salesforce"), DatasetName.parse("ops/2024"));

  private static List<String> matching(String criteria) {
    Predicate<DatasetName> filter = NameFilter.parse(criteria);
    return NAMES.stream().filter(filter).map(DatasetName::toString).toList();
  }

  @Test
  void emptyMatchesAll() {
    assertThat(matching("")).hasSize(NAMES.size());
  }

  @Test
  void plainTextIsAPrefix() {
    assertThat(matching("sales")).containsExactly("sales", "sales/2024", "sales/2024/q1", "salesforce");
    assertThat(matching("sales/")).containsExactly("sales/2024", "sales/2024/q1");
  }

  @Test
  void globsMatchWholeNamesWithStarWithinASegment() {
    assertThat(matching("sales/*")).containsExactly("sales/2024");
    assertThat(matching("sales/**")).containsExactly("sales/2024", "sales/2024/q1");
    assertThat(matching("*/2024")).containsExactly("sales/2024", "ops/2024");
    assertThat(matching("sale?")).containsExactly("sales");
    assertThat(matching("{ops,sales}/2024")).containsExactly("sales/2024", "ops/2024");
  }

  @Test
  void aBrokenGlobIsAnInvalidArgument() {
    assertThatThrownBy(() -> NameFilter.parse("sales/[2024")).isInstanceOf(ProtocolException.class)
        .hasMessageContaining("invalid glob");
  }
}
