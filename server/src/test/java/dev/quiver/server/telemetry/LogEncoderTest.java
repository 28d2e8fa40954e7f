package dev.quiver.server.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.status.Status;
import ch.qos.logback.core.util.StatusPrinter2;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.event.KeyValuePair;

/** The log encoder and logback.xml: text lines by default, one JSON object a line with {@code quiver.log.format=json}. */
class LogEncoderTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static LogEncoder encoder(LoggerContext context, String format) {
    LogEncoder encoder = new LogEncoder();
    encoder.setContext(context);
    encoder.setFormat(format);
    encoder.start();
    return encoder;
  }

  private static LoggingEvent event(LoggerContext context, String message, Object[] arguments, Throwable error) {
    Logger logger = context.getLogger("quiver.access");
    LoggingEvent event = new LoggingEvent(Logger.class.getName(), logger, Level.INFO, message, error, arguments);
    event.addKeyValuePair(new KeyValuePair("dataset", "sales/2024"));
    event.addKeyValuePair(new KeyValuePair("rows", 1000L));
    event.addKeyValuePair(new KeyValuePair("error", "dataset \"x\"\nnot found"));
    return event;
  }

  /** The key/value pairs of a JSON line ({@code kvpList}: an array of one-member objects), as text. */
  static Map<String, String> kvps(JsonNode line) {
    Map<String, String> out = new HashMap<>();
    for (JsonNode pair : line.path("kvpList")) {
      pair.properties().forEach(e -> out.put(e.getKey(), e.getValue().asText()));
    }
    return out;
  }

  @Test
  void jsonIsOneParseableObjectALine() throws Exception {
    LoggerContext context = new LoggerContext();
    LogEncoder encoder = encoder(context, "json");
    String encoded = new String(encoder.encode(event(context, "hello {}", new Object[] {"world"},
        new IllegalStateException("boom\nsecond line"))), StandardCharsets.UTF_8);
    assertThat(encoded).endsWith("\n");
    assertThat(encoded.substring(0, encoded.length() - 1)).doesNotContain("\n");
    JsonNode line = JSON.readTree(encoded);
    assertThat(line.path("level").asText()).isEqualTo("INFO");
    assertThat(line.path("loggerName").asText()).isEqualTo("quiver.access");
    assertThat(line.path("formattedMessage").asText()).isEqualTo("hello world");
    assertThat(line.path("timestamp").isNumber()).isTrue();
    assertThat(line.path("threadName").asText()).isNotEmpty();
    assertThat(kvps(line)).containsEntry("dataset", "sales/2024").containsEntry("rows", "1000")
        .containsEntry("error", "dataset \"x\"\nnot found");
    assertThat(line.path("throwable").path("className").asText()).isEqualTo(IllegalStateException.class.getName());
    assertThat(line.path("throwable").path("message").asText()).isEqualTo("boom\nsecond line");
    // Trimmed: no per-event noise.
    assertThat(line.has("sequenceNumber")).isFalse();
    assertThat(line.has("context")).isFalse();
    assertThat(line.has("message")).isFalse();
    assertThat(line.has("arguments")).isFalse();
  }

  @Test
  void textIsThePatternAndAnUnknownFormatFallsBackToIt() {
    LoggerContext context = new LoggerContext();
    for (String format : new String[] {"text", "yaml"}) {
      LogEncoder encoder = encoder(context, format);
      String line = new String(encoder.encode(event(context, "peer={} status=OK", new Object[] {"1.2.3.4:5"}, null)),
          StandardCharsets.UTF_8);
      assertThat(line).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) INFO  \\[[^]]+\\]"
          + " quiver.access - peer=1\\.2\\.3\\.4:5 status=OK\n");
    }
    assertThat(context.getStatusManager().getCopyOfStatusList())
        .anySatisfy(status -> assertThat(status.getMessage()).contains("unknown log format 'yaml'"));
  }

  /** logback.xml as shipped, configured into a context of its own with {@code quiver.log.format} set as Main sets it. */
  private static String logThroughShippedConfig(String format) throws Exception {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new LogbackMDCAdapter());
    if (format != null) {
      context.putProperty("quiver.log.format", format);
    }
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    configurator.doConfigure(LogEncoderTest.class.getResource("/logback.xml"));
    // Nothing worth a warning: logback would otherwise print its whole configuration status at startup.
    StatusPrinter2 printer = new StatusPrinter2();
    ByteArrayOutputStream statuses = new ByteArrayOutputStream();
    printer.setPrintStream(new PrintStream(statuses, true, StandardCharsets.UTF_8));
    printer.print(context);
    assertThat(new ch.qos.logback.core.status.StatusUtil(context).getHighestLevel(0))
        .as(statuses.toString(StandardCharsets.UTF_8)).isLessThan(Status.WARN);

    ConsoleAppender<ILoggingEvent> appender =
        (ConsoleAppender<ILoggingEvent>) context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender("STDERR");
    assertThat(appender.getTarget()).isEqualTo("System.err");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    appender.setOutputStream(out);
    context.getLogger("quiver.access").atInfo().addKeyValue("rows", 7L).log("access {}", "line");
    context.getLogger("io.grpc.Whatever").info("not shown: io.grpc is at WARN");
    context.stop();
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void theShippedConfigurationPicksTheEncoderFromTheProperty() throws Exception {
    String json = logThroughShippedConfig("json");
    assertThat(json.lines()).hasSize(1);
    JsonNode line = JSON.readTree(json);
    assertThat(line.path("formattedMessage").asText()).isEqualTo("access line");
    assertThat(kvps(line)).containsEntry("rows", "7");

    for (String text : new String[] {logThroughShippedConfig("text"), logThroughShippedConfig(null)}) {
      assertThat(text.lines()).hasSize(1);
      assertThat(text).doesNotStartWith("{").contains(" INFO  [").endsWith(" quiver.access - access line\n");
    }
  }
}
