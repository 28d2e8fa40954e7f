package dev.quiver.server.telemetry;

import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.EncoderBase;

/**
 * The encoder of the server's log appender (logback.xml): {@code format} picks human-readable
 * lines ({@code text}, with {@code pattern}) or one JSON object a line ({@code json}, logback's
 * {@link JsonEncoder}: timestamp in epoch milliseconds, level, threadName, loggerName,
 * formattedMessage, the event's key/value pairs as {@code kvpList} and, if any, the throwable).
 *
 * <p>One appender whose encoder is chosen here, rather than two appenders of which the
 * configuration references one, because logback reports an unreferenced appender as a warning and
 * then prints its whole configuration status on every start.
 */
public final class LogEncoder extends EncoderBase<ILoggingEvent> {
  private String format = "text";
  private String pattern = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{20} - %msg%n";
  private Encoder<ILoggingEvent> delegate;

  /** {@code text} or {@code json}. */
  public void setFormat(String format) {
    this.format = format;
  }

  /** The layout pattern of the {@code text} format. */
  public void setPattern(String pattern) {
    this.pattern = pattern;
  }

  @Override
  public void start() {
    String chosen = format == null ? "text" : format.trim();
    if (chosen.equals("json")) {
      JsonEncoder json = new JsonEncoder();
      json.setWithSequenceNumber(false);
      json.setWithNanoseconds(false);
      json.setWithContext(false);
      json.setWithMDC(false);
      json.setWithArguments(false);
      json.setWithMessage(false); // the unformatted pattern; formattedMessage is what was logged
      json.setWithFormattedMessage(true);
      delegate = json;
    } else {
      if (!chosen.equals("text")) {
        addError("unknown log format '" + format + "' (expected text or json); using text");
      }
      PatternLayoutEncoder text = new PatternLayoutEncoder();
      text.setPattern(pattern);
      delegate = text;
    }
    delegate.setContext(getContext());
    delegate.start();
    super.start();
  }

  @Override
  public void stop() {
    if (delegate != null) {
      delegate.stop();
    }
    super.stop();
  }

  @Override
  public byte[] headerBytes() {
    return delegate.headerBytes();
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    return delegate.encode(event);
  }

  @Override
  public byte[] footerBytes() {
    return delegate.footerBytes();
  }
}
