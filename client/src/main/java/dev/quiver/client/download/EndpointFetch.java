package dev.quiver.client.download;

import com.google.protobuf.ByteString;
import dev.quiver.client.ServerException;
import dev.quiver.client.TransferCancelledException;
import dev.quiver.client.internal.Connection;
import dev.quiver.client.internal.ProgressCounter;
import dev.quiver.client.ipc.IpcMessage;
import dev.quiver.protocol.BatchRange;
import dev.quiver.protocol.DatasetTicket;
import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.flight.impl.FlightServiceGrpc;

/**
 * Fetches one endpoint (a batch range) of a download into its own spool file, as framed IPC
 * messages exactly as received, and remembers where each one is. When the connection breaks it
 * asks again for the batches it does not have yet, as long as the download's resume budget lasts.
 * Owns its spool file's channel; the {@link Downloader} deletes the file.
 */
final class EndpointFetch {
  /** Whether another resume is allowed; shared by every endpoint of a download. */
  interface ResumeBudget {
    /** {@code attempt} counts this endpoint's resumes, from 1. */
    boolean tryResume(Throwable cause, int attempt);
  }

  private final Connection connection;
  private final DatasetTicket ticket;
  private final BatchRange range;
  private final Path spoolPath;
  private final ProgressCounter progress;
  private final ResumeBudget resumes;
  private final List<SpooledMessage> messages = new ArrayList<>();
  private final DictionaryState dictionaries = new DictionaryState();
  private FileChannel spool;
  private long spoolEnd;
  private ByteBuffer schemaHeader;
  private int batchesDone;
  private int resumed;
  private volatile Context.CancellableContext call;
  private volatile boolean cancelled;

  EndpointFetch(Connection connection, DatasetTicket ticket, Path spoolPath, ProgressCounter progress,
      ResumeBudget resumes) {
    this.connection = connection;
    this.ticket = ticket;
    this.range = ticket.batches().orElseThrow(() -> new IllegalArgumentException("endpoint ticket without a batch range"));
    this.spoolPath = spoolPath;
    this.progress = progress;
    this.resumes = resumes;
  }

  /** Fetches every batch of the range; on return the spool holds them all, in order. */
  void run() throws IOException {
    spool = FileChannel.open(spoolPath, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
        StandardOpenOption.READ);
    while (true) {
      try {
        fetch(ticket.withBatches(new BatchRange(range.start() + batchesDone, range.end())), batchesDone > 0);
        return;
      } catch (StatusRuntimeException e) {
        if (cancelled) {
          throw new TransferCancelledException("download cancelled", e);
        }
        if (!resumes.tryResume(e, ++resumed)) {
          throw e;
        }
        // Messages arrive whole, so the spool ends at the last complete one: ask for the rest.
      }
    }
  }

  private void fetch(DatasetTicket what, boolean resuming) throws IOException {
    Context.CancellableContext context = Context.current().withCancellation();
    call = context;
    if (cancelled) {
      context.cancel(null);
    }
    Context previous = context.attach();
    try {
      FlightServiceGrpc.FlightServiceBlockingStub stub = FlightServiceGrpc.newBlockingStub(connection.channel())
          .withDeadlineAfter(connection.transferTimeout().toMillis(), TimeUnit.MILLISECONDS);
      Iterator<Flight.FlightData> stream = stub.doGet(Flight.Ticket.newBuilder()
          .setTicket(ByteString.copyFrom(what.toBytes())).build());
      boolean beforeFirstBatch = true;
      while (stream.hasNext()) {
        Flight.FlightData data = stream.next();
        if (cancelled) {
          throw new TransferCancelledException("download cancelled", null);
        }
        if (data.getDataHeader().isEmpty()) {
          continue;
        }
        ByteBuffer header = data.getDataHeader().asReadOnlyByteBuffer();
        IpcMessage message;
        try {
          message = IpcMessage.of(header);
        } catch (IllegalArgumentException e) {
          throw new ServerException("INTERNAL", "the server sent an unreadable IPC message: " + e.getMessage(), e);
        }
        if (message.bodyLength() != data.getDataBody().size()) {
          throw new ServerException("INTERNAL", "the server sent a message whose body (" + data.getDataBody().size()
              + " bytes) disagrees with its header (" + message.bodyLength() + ")", null);
        }
        switch (message.kind()) {
          case SCHEMA -> {
            if (schemaHeader == null) {
              schemaHeader = ByteBuffer.allocate(header.remaining()).put(header.duplicate()).flip();
              progress.addBytes(IpcMessage.framed(header).remaining());
            }
          }
          case DICTIONARY_BATCH -> {
            byte[] digest = digest(data);
            // A resumed range starts by replaying the dictionaries in force: those are not news.
            if (resuming && beforeFirstBatch && dictionaries.isInForce(message.dictionaryId(), digest)) {
              continue;
            }
            dictionaries.record(message.dictionaryId(), message.delta(), digest);
            progress.addBytes(append(message, data, digest));
          }
          case RECORD_BATCH -> {
            beforeFirstBatch = false;
            long bytes = append(message, data, null);
            batchesDone++;
            progress.addBatch(bytes, message.rows());
          }
        }
      }
    } finally {
      context.detach(previous);
      context.cancel(null);
    }
  }

  private long append(IpcMessage message, Flight.FlightData data, byte[] digest) throws IOException {
    ByteBuffer framed = IpcMessage.framed(data.getDataHeader().asReadOnlyByteBuffer());
    int metadataLength = framed.remaining();
    long offset = spoolEnd;
    writeFully(framed);
    for (ByteBuffer piece : data.getDataBody().asReadOnlyByteBufferList()) {
      writeFully(piece);
    }
    long padding = IpcMessage.align8(message.bodyLength()) - message.bodyLength();
    if (padding > 0) {
      writeFully(ByteBuffer.allocate((int) padding));
    }
    SpooledMessage spooled = new SpooledMessage(message, offset, metadataLength, message.bodyLength(), digest);
    messages.add(spooled);
    return spooled.spoolLength();
  }

  private void writeFully(ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      spoolEnd += spool.write(buffer, spoolEnd);
    }
  }

  private static byte[] digest(Flight.FlightData data) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(data.getDataHeader().asReadOnlyByteBuffer());
      for (ByteBuffer piece : data.getDataBody().asReadOnlyByteBufferList()) {
        sha.update(piece);
      }
      return sha.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  /** Stops the call in flight, from any thread. */
  void cancel() {
    cancelled = true;
    Context.CancellableContext current = call;
    if (current != null) {
      current.cancel(null);
    }
  }

  /** The schema message the server sent first, or null if this endpoint never started. */
  ByteBuffer schemaHeader() {
    return schemaHeader == null ? null : schemaHeader.duplicate();
  }

  List<SpooledMessage> messages() {
    return messages;
  }

  FileChannel spool() {
    return spool;
  }

  /** Closes the spool file and deletes it. */
  void discard() {
    try {
      if (spool != null) {
        spool.close();
      }
      Files.deleteIfExists(spoolPath);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
