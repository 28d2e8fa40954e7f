package dev.quiver.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DatasetTicketTest {

  private static DatasetTicket parse(String text) {
    return DatasetTicket.parse(text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void bareNameSelectsTheWholeDataset() {
    DatasetTicket ticket = parse("sales/2024");
    assertThat(ticket.dataset()).isEqualTo(DatasetName.parse("sales/2024"));
    assertThat(ticket.columns()).isEmpty();
    assertThat(ticket.batches()).isEmpty();
    assertThat(ticket).isEqualTo(DatasetTicket.of(DatasetName.parse("sales/2024")));
  }

  @Test
  void bareNameIsValidatedAsADatasetName() {
    assertThatThrownBy(() -> parse("../etc/passwd"))
        .isInstanceOf(ProtocolException.class).hasMessageContaining("'..'");
    assertThatThrownBy(() -> parse("/etc/passwd"))
        .isInstanceOf(ProtocolException.class).hasMessageContaining("must not start with '/'");
    assertThatThrownBy(() -> parse("sa\u0001les"))
        .isInstanceOf(ProtocolException.class).hasMessageContaining("control characters");
  }

  @Test
  void surroundingWhitespaceIsNotPartOfABareName() {
    // `echo sales > ticket` leaves a newline; it must not become part of the name.
    assertThat(parse("sales\n").dataset()).isEqualTo(DatasetName.parse("sales"));
    assertThat(parse("  sales/2024 ").dataset()).isEqualTo(DatasetName.parse("sales/2024"));
    assertThatThrownBy(() -> parse("   ")).isInstanceOf(ProtocolException.class).hasMessageContaining("empty");
  }

  @Test
  void bareNameWithNonAsciiCharacters() {
    assertThat(parse("données/été").dataset().segments()).containsExactly("données", "été");
  }

  @Test
  void fullJsonTicket() {
    DatasetTicket ticket = parse("{\"dataset\": \"sales/2024\", \"columns\": [\"id\", \"total\"], \"batches\": [0, 64]}");
    assertThat(ticket.dataset()).isEqualTo(DatasetName.parse("sales/2024"));
    assertThat(ticket.columns()).contains(List.of("id", "total"));
    assertThat(ticket.batches()).contains(new BatchRange(0, 64));
  }

  @Test
  void columnsKeepTheRequestedOrder() {
    assertThat(parse("{\"dataset\":\"t\",\"columns\":[\"z\",\"a\",\"m\"]}").columns())
        .contains(List.of("z", "a", "m"));
  }

  @Test
  void jsonWithOnlyTheDataset() {
    DatasetTicket ticket = parse("{\"dataset\":\"sales\"}");
    assertThat(ticket).isEqualTo(DatasetTicket.of(DatasetName.parse("sales")));
    assertThat(ticket.columns()).isEmpty();
    assertThat(ticket.batches()).isEmpty();
  }

  @Test
  void nullColumnsAndBatchesMeanEverything() {
    DatasetTicket ticket = parse("{\"dataset\":\"sales\",\"columns\":null,\"batches\":null}");
    assertThat(ticket.columns()).isEmpty();
    assertThat(ticket.batches()).isEmpty();
  }

  @Test
  void whitespaceAroundAndInsideJsonIsAllowed() {
    DatasetTicket ticket = parse("  \n\t{ \"dataset\" :\n \"sales\" , \"batches\" : [ 1 , 2 ] }\r\n  ");
    assertThat(ticket.dataset()).isEqualTo(DatasetName.parse("sales"));
    assertThat(ticket.batches()).contains(new BatchRange(1, 2));
  }

  @Test
  void emptyBatchRangeIsAllowed() {
    assertThat(parse("{\"dataset\":\"s\",\"batches\":[3,3]}").batches()).contains(new BatchRange(3, 3));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"dataset\":\"s\",\"colums\":[\"a\"]}",
      "{\"dataset\":\"s\",\"Columns\":[\"a\"]}",
      "{\"dataset\":\"s\",\"batch\":[0,1]}",
      "{\"dataset\":\"s\",\"limit\":10}"})
  void unknownKeysAreRejected(String json) {
    assertThatThrownBy(() -> parse(json))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("unknown key")
        .hasMessageContaining("allowed: \"dataset\", \"columns\", \"batches\"");
  }

  @Test
  void unknownKeyIsNamedPrintably() {
    assertThatThrownBy(() -> parse("{\"dataset\":\"s\",\"bad\\nkey\":1}"))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("\"bad?key\"")
        .satisfies(e -> assertThat(e.getMessage().chars().noneMatch(Character::isISOControl)).isTrue());
  }

  @ParameterizedTest
  @ValueSource(strings = {"{}", "{\"columns\":[\"a\"]}"})
  void datasetIsRequired(String json) {
    assertThatThrownBy(() -> parse(json))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("ticket needs \"dataset\": a dataset name");
  }

  @ParameterizedTest
  @ValueSource(strings = {"{\"dataset\":null}", "{\"dataset\":5}",
      "{\"dataset\":[\"a\"]}", "{\"dataset\":{\"name\":\"a\"}}", "{\"dataset\":true}"})
  void datasetMustBeAString(String json) {
    assertThatThrownBy(() -> parse(json))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("\"dataset\" in ticket must be a string, not ");
  }

  @Test
  void datasetInJsonIsValidatedAsADatasetName() {
    assertThatThrownBy(() -> parse("{\"dataset\":\"../secret\"}"))
        .isInstanceOf(ProtocolException.class).hasMessageContaining("'..'");
    assertThatThrownBy(() -> parse("{\"dataset\":\"\"}"))
        .isInstanceOf(ProtocolException.class).hasMessageContaining("empty");
    assertThatThrownBy(() -> parse("{\"dataset\":\"a\\u0000b\"}"))
        .isInstanceOf(ProtocolException.class).hasMessageContaining("control characters");
  }

  @ParameterizedTest
  @ValueSource(strings = {"\"a\"", "5", "{\"a\":1}", "true"})
  void columnsMustBeAnArray(String value) {
    assertThatThrownBy(() -> parse("{\"dataset\":\"s\",\"columns\":" + value + "}"))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("\"columns\" in ticket for dataset 's' must be an array or null, not ")
        .hasMessageContaining("top-level column names");
  }

  @ParameterizedTest
  @ValueSource(strings = {"[1]", "[\"a\", 2]", "[\"a\", null]", "[[\"a\"]]", "[{\"name\":\"a\"}]", "[true]"})
  void columnsMustContainOnlyStrings(String value) {
    assertThatThrownBy(() -> parse("{\"dataset\":\"s\",\"columns\":" + value + "}"))
        .isInstanceOf(ProtocolException.class)
        .hasMessageMatching("\"columns\\[\\d\\]\" in ticket for dataset 's' must be a string, not .*");
  }

  @Test
  void columnsTypeErrorNamesWhatWasFound() {
    assertThatThrownBy(() -> parse("{\"dataset\":\"s\",\"columns\":[1]}"))
        .isInstanceOf(ProtocolException.class).hasMessageContaining("not number");
  }

  @Test
  void columnNamesMustBeValidUnicode() {
    // JSON escapes can spell half a surrogate pair; written back as UTF-8 it would name another column.
    assertThatThrownBy(() -> parse("{\"dataset\":\"s\",\"columns\":[\"i\\ud800d\"]}"))
        .isInstanceOf(ProtocolException.class).hasMessageContaining("unpaired UTF-16 surrogate");
    assertThatThrownBy(() -> parse("{\"dataset\":\"s\\udc00\"}"))
        .isInstanceOf(ProtocolException.class).hasMessageContaining("unpaired UTF-16 surrogate");
    assertThat(parse("{\"dataset\":\"s\",\"columns\":[\"\\ud83c\\udf4e\"]}").columns())
        .contains(List.of("\ud83c\udf4e"));
  }

  @Test
  void duplicateColumnsAreRejected() {
    assertThatThrownBy(() -> parse("{\"dataset\":\"s\",\"columns\":[\"a\",\"b\",\"a\"]}"))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("\"columns\" in ticket for dataset 's' lists \"a\" more than once");
    assertThatThrownBy(() -> new DatasetTicket(DatasetName.parse("s"), List.of("x", "x"), null))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("'x'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"[0]", "[0,1,2]", "[]", "\"0-5\"", "5", "{\"start\":0,\"end\":1}", "[0,\"1\"]",
      "[\"0\",1]", "[0,1.5]", "[null,1]", "[0,null]", "[true,1]", "[[0],1]",
      "[2147483648,2147483649]", "[0,2147483648]", "[0,9223372036854775807]", "[0,99999999999999999999]"})
  void batchesMustBeTwoInts(String value) {
    assertThatThrownBy(() -> parse("{\"dataset\":\"s\",\"batches\":" + value + "}"))
        .isInstanceOf(ProtocolException.class)
        .hasMessageMatching("\"batches(\\[[01]\\])?\" in ticket for dataset 's' (must be|is invalid).*");
  }

  @Test
  void integralNumbersAreIntegersAsJsonSchemaSays() {
    assertThat(parse("{\"dataset\":\"s\",\"batches\":[0.0,1e2]}").batches()).contains(new BatchRange(0, 100));
  }

  @Test
  void largestIntBatchBoundIsAccepted() {
    assertThat(parse("{\"dataset\":\"s\",\"batches\":[0,2147483647]}").batches())
        .contains(new BatchRange(0, Integer.MAX_VALUE));
  }

  @ParameterizedTest
  @ValueSource(strings = {"[-1,2]", "[-5,-1]", "[-2147483648,0]"})
  void batchIndexesAreNonNegative(String value) {
    assertThatThrownBy(() -> parse("{\"dataset\":\"s\",\"batches\":" + value + "}"))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("must have a minimum value of 0")
        .hasMessageContaining("a record batch index, counting from 0");
  }

  @ParameterizedTest
  @ValueSource(strings = {"[5,2]", "[1,0]"})
  void batchRangeMustBeOrdered(String value) {
    assertThatThrownBy(() -> parse("{\"dataset\":\"s\",\"batches\":" + value + "}"))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("invalid batch range")
        .hasMessageContaining("0 <= start <= end");
  }

  @ParameterizedTest
  @ValueSource(strings = {"{", "{\"dataset\":", "{\"dataset\":\"s\",}", "{dataset:\"s\"}", "{'dataset':'s'}",
      "{\"dataset\":\"s\"", "{\"dataset\" \"s\"}"})
  void malformedJsonIsRejected(String json) {
    assertThatThrownBy(() -> parse(json))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("ticket is not valid JSON");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"dataset\":\"sales\"} {\"dataset\":\"other\"}",
      "{\"dataset\":\"sales\"}, \"columns\": [\"id\"]}",
      "{\"dataset\":\"sales\"} garbage"})
  void contentAfterTheJsonObjectIsRejected(String json) {
    // A mistyped ticket must fail rather than silently read the whole dataset (as for unknown keys).
    assertThatThrownBy(() -> parse(json)).isInstanceOf(ProtocolException.class);
  }

  @Test
  void emptyTicketIsRejected() {
    assertThatThrownBy(() -> DatasetTicket.parse(new byte[0]))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("ticket is empty");
  }

  @Test
  void invalidUtf8IsRejected() {
    byte[][] invalid = {
        {(byte) 0xC3, (byte) 0x28},                 // bad continuation byte
        {'a', (byte) 0xFF, 'b'},                    // never valid in UTF-8
        {(byte) 0xE2, (byte) 0x82},                 // truncated sequence
        {(byte) 0xC0, (byte) 0xAF},                 // overlong '/'
        {(byte) 0xED, (byte) 0xA0, (byte) 0x80},    // UTF-16 surrogate
        {'{', '"', 'd', (byte) 0x80, '"', '}'}};
    for (byte[] bytes : invalid) {
      assertThatThrownBy(() -> DatasetTicket.parse(bytes))
          .as(Arrays.toString(bytes))
          .isInstanceOf(ProtocolException.class)
          .hasMessageContaining("not valid UTF-8");
    }
  }

  @Test
  void oversizedTicketIsRejectedBeforeParsing() {
    byte[] big = new byte[DatasetTicket.MAX_TICKET_BYTES + 1];
    Arrays.fill(big, (byte) 0xFF); // would fail UTF-8 decoding if it got that far
    assertThatThrownBy(() -> DatasetTicket.parse(big))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining((DatasetTicket.MAX_TICKET_BYTES + 1) + " bytes")
        .hasMessageContaining("more than the " + DatasetTicket.MAX_TICKET_BYTES + " allowed");
  }

  @Test
  void ticketOfExactlyTheMaximumSizeIsParsed() {
    String core = "\"dataset\":\"s\",\"columns\":[\"c\"]}";
    String json = "{" + " ".repeat(DatasetTicket.MAX_TICKET_BYTES - core.length() - 1) + core;
    assertThat(json.length()).isEqualTo(DatasetTicket.MAX_TICKET_BYTES);
    assertThat(parse(json).columns()).contains(List.of("c"));
  }

  @Test
  void nullBytesAreRejected() {
    assertThatThrownBy(() -> DatasetTicket.parse(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void toJsonRoundTrips() {
    List<DatasetTicket> tickets = List.of(
        DatasetTicket.of(DatasetName.parse("sales")),
        new DatasetTicket(DatasetName.parse("sales/2024"), List.of("id", "total"), new BatchRange(0, 64)),
        new DatasetTicket(DatasetName.parse("a/b"), List.of(), null),
        new DatasetTicket(DatasetName.parse("a"), null, new BatchRange(7, 7)),
        new DatasetTicket(DatasetName.parse("données/\"quoted\" name"),
            List.of("col \"q\"", "back\\slash", "tab\tcol", "ünï", "{}", "[1]"), new BatchRange(2, Integer.MAX_VALUE)));
    for (DatasetTicket ticket : tickets) {
      DatasetTicket again = DatasetTicket.parse(ticket.toBytes());
      assertThat(again).isEqualTo(ticket).hasSameHashCodeAs(ticket);
      assertThat(again.toJson()).isEqualTo(ticket.toJson());
      assertThat(DatasetTicket.parse(ticket.toJson().getBytes(StandardCharsets.UTF_8))).isEqualTo(ticket);
      assertThat(ticket.toString()).isEqualTo(ticket.toJson());
    }
  }

  @Test
  void toJsonIsCanonical() {
    DatasetTicket ticket = new DatasetTicket(DatasetName.parse("s/t"), List.of("a", "b"), new BatchRange(1, 3));
    assertThat(ticket.toJson()).isEqualTo("{\"dataset\":\"s/t\",\"columns\":[\"a\",\"b\"],\"batches\":[1,3]}");
    assertThat(DatasetTicket.of(DatasetName.parse("s")).toJson()).isEqualTo("{\"dataset\":\"s\"}");
  }

  @Test
  void withBatchesKeepsDatasetAndColumns() {
    DatasetTicket ticket = new DatasetTicket(DatasetName.parse("s"), List.of("a"), null);
    DatasetTicket ranged = ticket.withBatches(new BatchRange(2, 5));
    assertThat(ranged.dataset()).isEqualTo(ticket.dataset());
    assertThat(ranged.columns()).isEqualTo(ticket.columns());
    assertThat(ranged.batches()).contains(new BatchRange(2, 5));
    assertThat(ticket.batches()).isEmpty();
    assertThat(ranged).isNotEqualTo(ticket);
    assertThat(ranged.withBatches(null)).isEqualTo(ticket);
  }

  @Test
  void columnsAreCopied() {
    java.util.ArrayList<String> columns = new java.util.ArrayList<>(List.of("a"));
    DatasetTicket ticket = new DatasetTicket(DatasetName.parse("s"), columns, null);
    columns.add("b");
    assertThat(ticket.columns()).isEqualTo(Optional.of(List.of("a")));
  }

  @Test
  void ticketsDifferingInAnyPartAreNotEqual() {
    DatasetName s = DatasetName.parse("s");
    DatasetTicket base = new DatasetTicket(s, List.of("a"), new BatchRange(0, 1));
    assertThat(base).isNotEqualTo(new DatasetTicket(DatasetName.parse("t"), List.of("a"), new BatchRange(0, 1)));
    assertThat(base).isNotEqualTo(new DatasetTicket(s, List.of("b"), new BatchRange(0, 1)));
    assertThat(base).isNotEqualTo(new DatasetTicket(s, null, new BatchRange(0, 1)));
    assertThat(base).isNotEqualTo(new DatasetTicket(s, List.of("a"), new BatchRange(0, 2)));
    assertThat(base).isNotEqualTo(new DatasetTicket(s, List.of("a"), null));
    assertThat(base).isNotEqualTo("s");
  }
}
