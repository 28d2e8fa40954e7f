package dev.quiver.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DatasetNameTest {

  @ParameterizedTest
  @ValueSource(strings = {"sales", "sales/2024", "a/b/c/d", "données/été", "with space", "v1.2", "...", "a..b",
      "x.arrow", "name-with_dash", "日本/東京", "-", "a/b.c/d"})
  void acceptsValidNames(String text) {
    DatasetName name = DatasetName.parse(text);
    assertThat(name.toString()).isEqualTo(text);
    assertThat(name.segments()).containsExactly(text.split("/"));
    assertThat(name.leaf()).isEqualTo(text.substring(text.lastIndexOf('/') + 1));
  }

  @Test
  void segmentsAreExposedInOrderAndImmutable() {
    DatasetName name = DatasetName.parse("sales/2024/q1");
    assertThat(name.segments()).containsExactly("sales", "2024", "q1");
    assertThat(name.leaf()).isEqualTo("q1");
    assertThatThrownBy(() -> name.segments().add("x")).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void pathSegmentsAreJoined() {
    assertThat(DatasetName.of(List.of("sales", "2024"))).isEqualTo(DatasetName.parse("sales/2024"));
    assertThat(DatasetName.of(List.of("sales")).segments()).containsExactly("sales");
    assertThat(DatasetName.of(List.of("sales", "2024")).toString()).isEqualTo("sales/2024");
  }

  @Test
  void pathSegmentsMayThemselvesContainSlashes() {
    assertThat(DatasetName.of(List.of("sales/2024"))).isEqualTo(DatasetName.parse("sales/2024"));
    DatasetName name = DatasetName.of(List.of("a/b", "c"));
    assertThat(name.segments()).containsExactly("a", "b", "c");
    assertThat(name).isEqualTo(DatasetName.parse("a/b/c"));
  }

  @Test
  void pathSegmentsAreValidatedLikeParsedNames() {
    assertThatThrownBy(() -> DatasetName.of(List.of("sales", "..")))
        .isInstanceOf(ProtocolException.class).hasMessageContaining("'..'");
    assertThatThrownBy(() -> DatasetName.of(List.of("sales", "")))
        .isInstanceOf(ProtocolException.class).hasMessageContaining("empty path segment");
    assertThatThrownBy(() -> DatasetName.of(List.of("", "sales"))).isInstanceOf(ProtocolException.class);
    assertThatThrownBy(() -> DatasetName.of(List.of("/etc", "passwd")))
        .isInstanceOf(ProtocolException.class).hasMessageContaining("must not start with '/'");
    assertThatThrownBy(() -> DatasetName.of(List.of("a/../b"))).isInstanceOf(ProtocolException.class);
    assertThatThrownBy(() -> DatasetName.of(List.of("a\\b"))).isInstanceOf(ProtocolException.class);
    assertThatThrownBy(() -> DatasetName.of(List.of("")))
        .isInstanceOf(ProtocolException.class).hasMessageContaining("empty");
  }

  @Test
  void noSegmentsIsEmpty() {
    assertThatThrownBy(() -> DatasetName.of(List.of()))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("empty")
        .hasMessageContaining("no segments");
  }

  @Test
  void nullSegmentIsRejectedRatherThanReadAsTheWordNull() {
    // A null segment must not silently become the dataset "a/null".
    assertThatThrownBy(() -> DatasetName.of(Arrays.asList("a", null)))
        .isInstanceOfAny(ProtocolException.class, NullPointerException.class);
  }

  @Test
  void rejectsEmpty() {
    assertThatThrownBy(() -> DatasetName.parse(""))
        .isInstanceOf(ProtocolException.class)
        .hasMessage("dataset name is empty");
  }

  @ParameterizedTest
  @ValueSource(strings = {".", "..", "a/.", "a/..", "./a", "../a", "a/../b", "a/./b", "../../etc/passwd"})
  void rejectsDotSegments(String text) {
    assertThatThrownBy(() -> DatasetName.parse(text))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("segments are not allowed")
        .hasMessageContaining("invalid dataset name '" + text + "'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"/", "/sales", "//sales", "/etc/passwd"})
  void rejectsLeadingSlash(String text) {
    assertThatThrownBy(() -> DatasetName.parse(text))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("must not start with '/'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"a//b", "a/", "sales/2024/", "a///"})
  void rejectsEmptySegments(String text) {
    assertThatThrownBy(() -> DatasetName.parse(text))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("empty path segment");
  }

  @ParameterizedTest
  @ValueSource(strings = {"a\\b", "\\", "..\\..\\windows", "sales/20\\24", "C:\\data"})
  void rejectsBackslash(String text) {
    assertThatThrownBy(() -> DatasetName.parse(text))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("'\\' is not allowed");
  }

  @ParameterizedTest
  @ValueSource(strings = {"a\u0000b", "a\nb", "sales\r", "\tsales", "a\u001bb", "a\u007fb", "a\u0085b", "a/b\u0000"})
  void rejectsControlCharacters(String text) {
    assertThatThrownBy(() -> DatasetName.parse(text))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("control characters are not allowed")
        // the echoed name is made printable: no control character reaches log lines or error text
        .satisfies(e -> assertThat(e.getMessage().chars().noneMatch(Character::isISOControl)).isTrue());
  }

  @ParameterizedTest
  @ValueSource(strings = {"\ud800", "a\udc00b", "sales/\ud83d", "\udc00\ud800", "x\ud83d/\ude00"})
  void rejectsUnpairedSurrogates(String text) {
    assertThatThrownBy(() -> DatasetName.parse(text))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("unpaired UTF-16 surrogate");
  }

  @Test
  void acceptsCharactersBeyondTheBasicPlane() {
    assertThat(DatasetName.parse("fruit/\ud83c\udf4e").segments()).containsExactly("fruit", "\ud83c\udf4e");
  }

  @Test
  void controlCharactersAreReplacedInTheEchoedName() {
    assertThatThrownBy(() -> DatasetName.parse("evil\nINFO forged log line/.."))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("'evil?INFO forged log line/..'");
  }

  @Test
  void acceptsLongestNameAndRejectsOneLonger() {
    String longest = "a".repeat(500) + "/" + "b".repeat(DatasetName.MAX_LENGTH - 501);
    assertThat(longest).hasSize(DatasetName.MAX_LENGTH);
    assertThat(DatasetName.parse(longest).toString()).isEqualTo(longest);

    String tooLong = longest + "c";
    assertThatThrownBy(() -> DatasetName.parse(tooLong))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining((DatasetName.MAX_LENGTH + 1) + " characters")
        .hasMessageContaining("at most " + DatasetName.MAX_LENGTH);
  }

  @Test
  void overlongNameIsNotEchoedInFull() {
    String huge = "x".repeat(100_000);
    assertThatThrownBy(() -> DatasetName.parse(huge))
        .isInstanceOf(ProtocolException.class)
        .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(1_000));
  }

  @Test
  void echoedNameIsTruncatedInMessages() {
    String name = "y".repeat(300) + "/..";
    assertThatThrownBy(() -> DatasetName.parse(name))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("y".repeat(200) + "...")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("y".repeat(201)));
  }

  @Test
  void equalityHashAndOrderFollowTheText() {
    DatasetName a = DatasetName.parse("a/b");
    DatasetName same = DatasetName.of(List.of("a", "b"));
    DatasetName other = DatasetName.parse("a/c");
    assertThat(a).isEqualTo(same).hasSameHashCodeAs(same).isNotEqualTo(other).isNotEqualTo("a/b");
    List<DatasetName> names = new ArrayList<>(List.of(
        DatasetName.parse("b"), DatasetName.parse("a/z"), DatasetName.parse("a"), DatasetName.parse("a/b")));
    names.sort(null);
    assertThat(names).extracting(DatasetName::toString).containsExactly("a", "a/b", "a/z", "b");
    assertThat(a.compareTo(same)).isZero();
  }

  @Test
  void nullIsRejected() {
    assertThatThrownBy(() -> DatasetName.parse(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> DatasetName.of(null)).isInstanceOf(NullPointerException.class);
  }
}
