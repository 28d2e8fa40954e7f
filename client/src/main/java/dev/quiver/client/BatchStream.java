package dev.quiver.client;

import dev.quiver.client.internal.Errors;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Record batches of a {@link QuiverClient#read}, one at a time: {@link #next()} loads the next
 * batch into {@link #root()}, replacing the previous one. Owns the batches' memory; close it
 * (try-with-resources), also to stop early: the server stops sending.
 */
public final class BatchStream implements AutoCloseable {
  private final FlightStream stream;
  private final String what;
  private final String target;
  private boolean ended;

  BatchStream(FlightStream stream, String what, String target) {
    this.stream = stream;
    this.what = what;
    this.target = target;
  }

  /** Loads the next batch; false at the end of the stream. */
  public boolean next() {
    try {
      boolean more = stream.next();
      ended = !more;
      return more;
    } catch (RuntimeException e) {
      throw Errors.translate(e, what, target);
    }
  }

  /** The current batch; valid until the next {@link #next()} or {@link #close()}. */
  public VectorSchemaRoot root() {
    try {
      return stream.getRoot();
    } catch (RuntimeException e) {
      throw Errors.translate(e, what, target);
    }
  }

  /** The stream's schema (dictionary-encoded columns as their indices; see {@link #dictionaries()}). */
  public Schema schema() {
    return root().getSchema();
  }

  /** The dictionaries of dictionary-encoded columns, as of the current batch. */
  public DictionaryProvider dictionaries() {
    return stream.getDictionaryProvider();
  }

  /** Releases the batches and, if the stream did not end, cancels it on the server. */
  @Override
  public void close() {
    if (!ended) {
      stream.cancel("closed by the client before the end", null);
    }
    try {
      stream.close();
    } catch (Exception e) {
      throw Errors.translate(e, what, target);
    }
  }
}
