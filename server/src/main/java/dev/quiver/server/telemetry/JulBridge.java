package dev.quiver.server.telemetry;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggerContextListener;
import ch.qos.logback.core.spi.ContextAwareBase;
import ch.qos.logback.core.spi.LifeCycle;
import java.util.logging.ConsoleHandler;
import java.util.logging.Handler;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Sends java.util.logging records (gRPC logs through it) to SLF4J, so they come out of the same
 * appender as everything else: as JSON lines in JSON mode instead of JUL's own two-line text on
 * stderr. Declared as a context listener in logback.xml, so it is in place as soon as logging is
 * configured; it replaces JUL's default console handler on the root logger.
 */
public final class JulBridge extends ContextAwareBase implements LoggerContextListener, LifeCycle {
  private Handler installed;

  @Override
  public synchronized void start() {
    java.util.logging.Logger root = LogManager.getLogManager().getLogger("");
    boolean present = false;
    for (Handler handler : root.getHandlers()) {
      if (handler instanceof ConsoleHandler) {
        root.removeHandler(handler);
      }
      present |= handler instanceof ToSlf4j;
    }
    if (!present) {
      installed = new ToSlf4j();
      root.addHandler(installed);
    }
  }

  @Override
  public synchronized void stop() {
    if (installed != null) {
      LogManager.getLogManager().getLogger("").removeHandler(installed);
      installed = null;
    }
  }

  @Override
  public synchronized boolean isStarted() {
    return installed != null;
  }

  @Override
  public boolean isResetResistant() {
    return false;
  }

  @Override
  public void onStart(LoggerContext context) {}

  @Override
  public void onReset(LoggerContext context) {
    stop();
  }

  @Override
  public void onStop(LoggerContext context) {
    stop();
  }

  @Override
  public void onLevelChange(ch.qos.logback.classic.Logger logger, ch.qos.logback.classic.Level level) {}

  /** The JUL handler: each record to the SLF4J logger of the same name, at the matching level. */
  static final class ToSlf4j extends Handler {
    private final SimpleFormatter formatter = new SimpleFormatter();

    @Override
    public void publish(LogRecord record) {
      if (record == null) {
        return;
      }
      Logger logger = LoggerFactory.getLogger(record.getLoggerName() == null ? "jul" : record.getLoggerName());
      Level level = level(record.getLevel().intValue());
      if (!logger.isEnabledForLevel(level)) {
        return;
      }
      String message = record.getMessage() == null ? "" : formatter.formatMessage(record);
      logger.atLevel(level).setCause(record.getThrown()).log(message);
    }

    static Level level(int jul) {
      if (jul >= java.util.logging.Level.SEVERE.intValue()) {
        return Level.ERROR;
      }
      if (jul >= java.util.logging.Level.WARNING.intValue()) {
        return Level.WARN;
      }
      if (jul >= java.util.logging.Level.INFO.intValue()) {
        return Level.INFO;
      }
      if (jul >= java.util.logging.Level.FINE.intValue()) {
        return Level.DEBUG;
      }
      return Level.TRACE;
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }
}
