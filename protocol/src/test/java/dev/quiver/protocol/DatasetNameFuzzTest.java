package dev.quiver.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;

/**
 * Dataset names become paths under the data root, so an accepted name must be exactly one relative
 * path of as many elements as it has segments: resolved against a root, it is already normal and
 * stays strictly inside the root.
 */
class DatasetNameFuzzTest {
  private static final Path ROOT = Path.of("/srv/quiver-data");

  @FuzzTest
  @DictionaryEntries({"/", ".", "..", "\\", "\\u", "\\ud800", "\\udc00", "\\u0000", "\\u002f", "\\u2028"})
  void parse(byte[] input) {
    String text = text(input);
    DatasetName name;
    try {
      name = DatasetName.parse(text);
    } catch (ProtocolException e) {
      assertThat(e.getMessage()).as("what the client is told").isNotBlank();
      return;
    }
    assertThat(name.toString()).isEqualTo(text);
    assertThat(DatasetName.of(name.segments())).isEqualTo(name);
    Path file = ROOT.resolve(name.toString());
    assertThat(file.normalize()).isEqualTo(file);
    assertThat(file.startsWith(ROOT)).isTrue();
    assertThat(file.getNameCount()).isEqualTo(ROOT.getNameCount() + name.segments().size());
  }

  /**
   * The input as UTF-8, where {@code \\uXXXX} stands for that UTF-16 unit, as in JSON: names reach
   * the server through JSON tickets and commands too, whose escapes can spell any unit, unpaired
   * surrogates included, that UTF-8 cannot.
   */
  static String text(byte[] input) {
    String utf8 = new String(input, StandardCharsets.UTF_8);
    StringBuilder text = new StringBuilder(utf8.length());
    for (int i = 0; i < utf8.length(); i++) {
      if (utf8.startsWith("\\u", i) && i + 6 <= utf8.length() && isHex(utf8.substring(i + 2, i + 6))) {
        text.append((char) HexFormat.fromHexDigits(utf8, i + 2, i + 6));
        i += 5;
      } else {
        text.append(utf8.charAt(i));
      }
    }
    return text.toString();
  }

  private static boolean isHex(String digits) {
    // ASCII only: Character.digit would also take, say, Arabic-Indic digits.
    return digits.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'));
  }
}
