package dev.quiver.server.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** java.util.logging records (gRPC's) reach logback, so they are written like every other line (JSON in JSON mode). */
class JulBridgeTest {
  @Test
  void julRecordsAreLoggedThroughSlf4jAtTheConfiguredLevels() {
    Logger logger = (Logger) LoggerFactory.getLogger("dev.quiver.test.jul"); // configures logging (logback.xml)
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    logger.addAppender(appender);
    Logger grpc = (Logger) LoggerFactory.getLogger("io.grpc.test");
    ListAppender<ILoggingEvent> grpcAppender = new ListAppender<>();
    grpcAppender.start();
    grpc.addAppender(grpcAppender);
    try {
      assertThat(java.util.logging.Logger.getLogger("").getHandlers())
          .hasAtLeastOneElementOfType(JulBridge.ToSlf4j.class)
          .doesNotHaveAnyElementsOfTypes(java.util.logging.ConsoleHandler.class);
      java.util.logging.Logger jul = java.util.logging.Logger.getLogger("dev.quiver.test.jul");
      jul.log(java.util.logging.Level.WARNING, "stream {0} failed", new Object[] {"7"});
      jul.log(java.util.logging.Level.SEVERE, "broken", new IllegalStateException("boom"));
      jul.fine("too fine to show");
      // io.grpc is at WARN: its INFO records are dropped, its warnings kept.
      java.util.logging.Logger.getLogger("io.grpc.test").info("chatter");
      java.util.logging.Logger.getLogger("io.grpc.test").warning("Stream Error");

      List<ILoggingEvent> events = List.copyOf(appender.list);
      assertThat(events).extracting(ILoggingEvent::getFormattedMessage).containsExactly("stream 7 failed", "broken");
      assertThat(events).extracting(ILoggingEvent::getLevel).containsExactly(Level.WARN, Level.ERROR);
      assertThat(events.get(1).getThrowableProxy().getMessage()).isEqualTo("boom");
      assertThat(grpcAppender.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly("Stream Error");
    } finally {
      logger.detachAppender(appender);
      grpc.detachAppender(grpcAppender);
    }
  }

  @Test
  void levelsMapFromJulToSlf4j() {
    assertThat(JulBridge.ToSlf4j.level(java.util.logging.Level.SEVERE.intValue())).isEqualTo(org.slf4j.event.Level.ERROR);
    assertThat(JulBridge.ToSlf4j.level(java.util.logging.Level.WARNING.intValue())).isEqualTo(org.slf4j.event.Level.WARN);
    assertThat(JulBridge.ToSlf4j.level(java.util.logging.Level.INFO.intValue())).isEqualTo(org.slf4j.event.Level.INFO);
    assertThat(JulBridge.ToSlf4j.level(java.util.logging.Level.CONFIG.intValue())).isEqualTo(org.slf4j.event.Level.DEBUG);
    assertThat(JulBridge.ToSlf4j.level(java.util.logging.Level.FINE.intValue())).isEqualTo(org.slf4j.event.Level.DEBUG);
    assertThat(JulBridge.ToSlf4j.level(java.util.logging.Level.FINEST.intValue())).isEqualTo(org.slf4j.event.Level.TRACE);
  }
}
