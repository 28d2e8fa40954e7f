package dev.quiver.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Tickets arrive from any client as arbitrary bytes. Whatever they hold, parsing either yields a
 * ticket or a {@link ProtocolException} (answered as INVALID_ARGUMENT); any other exception would
 * be a bug answered as INTERNAL. A parsed ticket must survive its canonical JSON form unchanged,
 * since servers put that form into the FlightInfo endpoints clients send back.
 */
class DatasetTicketFuzzTest {

  @FuzzTest
  @DictionaryEntries({"{\"dataset\": \"", "\"columns\": [", "\"batches\": [", "\\u", "\\ud800", "\\udc00", "..", "/",
      "null", "1e3", "-1"})
  void parse(byte[] bytes) {
    DatasetTicket ticket;
    try {
      ticket = DatasetTicket.parse(bytes);
    } catch (ProtocolException e) {
      assertThat(e.getMessage()).as("what the client is told").isNotBlank();
      return;
    }
    assertThat(DatasetTicket.parse(ticket.toBytes())).isEqualTo(ticket);
    assertThat(DatasetName.parse(ticket.dataset().toString())).isEqualTo(ticket.dataset());
    ticket.batches().ifPresent(range -> assertThat(range.start()).isBetween(0, range.end()));
  }
}
