package dev.quiver.client.download;

import com.google.flatbuffers.FlatBufferBuilder;
import dev.quiver.client.InvalidRequestException;
import dev.quiver.client.ipc.IpcMessage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.ArrowFooter;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Writes the download's output file from the endpoints' spool files, in endpoint order: the schema
 * message, every dictionary and record batch message copied byte for byte (file to file, by the
 * kernel), then, for the file format, the footer indexing them. Dictionaries a server replayed at
 * the start of a batch range are written once.
 */
final class IpcAssembler {
  private static final byte[] MAGIC_AND_PADDING = {'A', 'R', 'R', 'O', 'W', '1', 0, 0};

  private final String dataset;
  private final boolean streamFormat;
  private FileChannel out;
  private long position;

  IpcAssembler(String dataset, boolean streamFormat) {
    this.dataset = dataset;
    this.streamFormat = streamFormat;
  }

  /** What was written. */
  record Written(long bytes, long batches, long rows) {}

  Written write(Path file, ByteBuffer schemaHeader, Schema schema, List<EndpointFetch> endpoints) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      out = channel;
      if (!streamFormat) {
        write(ByteBuffer.wrap(MAGIC_AND_PADDING));
      }
      write(IpcMessage.framed(schemaHeader));
      DictionaryState dictionaries = new DictionaryState();
      List<ArrowBlock> dictionaryBlocks = new ArrayList<>();
      List<ArrowBlock> batchBlocks = new ArrayList<>();
      long rows = 0;
      for (EndpointFetch endpoint : endpoints) {
        for (SpooledMessage message : endpoint.messages()) {
          IpcMessage header = message.header();
          if (header.kind() == IpcMessage.Kind.DICTIONARY_BATCH) {
            long id = header.dictionaryId();
            if (dictionaries.isInForce(id, message.digest())) {
              continue; // replayed at the start of this endpoint's range
            }
            if (!streamFormat && dictionaries.wouldReplace(id, header.delta())) {
              throw new InvalidRequestException("download of dataset '" + dataset + "' failed: it replaces dictionary "
                  + id + " between batches (it was stored from chunks with different dictionaries), which an IPC"
                  + " file cannot hold; download to a name ending in .arrows (IPC stream format) instead", null);
            }
            dictionaries.record(id, header.delta(), message.digest());
            dictionaryBlocks.add(copy(endpoint.spool(), message));
          } else {
            batchBlocks.add(copy(endpoint.spool(), message));
            rows += header.rows();
          }
        }
      }
      if (streamFormat) {
        write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(IpcMessage.CONTINUATION).putInt(0).flip());
      } else {
        writeFooter(new ArrowFooter(schema, dictionaryBlocks, batchBlocks));
      }
      channel.force(true);
      return new Written(position, batchBlocks.size(), rows);
    } finally {
      out = null;
    }
  }

  private ArrowBlock copy(FileChannel spool, SpooledMessage message) throws IOException {
    long start = position;
    long remaining = message.spoolLength();
    long from = message.offset();
    while (remaining > 0) {
      long n = spool.transferTo(from, remaining, out);
      if (n <= 0) {
        throw new IOException("spool file ended early");
      }
      from += n;
      remaining -= n;
    }
    position += message.spoolLength();
    out.position(position);
    return new ArrowBlock(start, message.metadataLength(), message.bodyLength());
  }

  private void writeFooter(ArrowFooter footer) throws IOException {
    FlatBufferBuilder builder = new FlatBufferBuilder(1024);
    builder.finish(footer.writeTo(builder));
    byte[] bytes = builder.sizedByteArray();
    write(ByteBuffer.wrap(bytes));
    write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(bytes.length).flip());
    write(ByteBuffer.wrap(MAGIC_AND_PADDING, 0, 6));
  }

  private void write(ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      position += out.write(buffer);
    }
  }
}
