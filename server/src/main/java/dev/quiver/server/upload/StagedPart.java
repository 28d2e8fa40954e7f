package dev.quiver.server.upload;

import dev.quiver.server.ipc.IpcFileWriter;
import dev.quiver.server.ipc.IpcSchema;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One temporary IPC file of an upload in the staging area: the whole dataset, or one of its parts
 * when the stream needed several files. It owns its file channel: {@link #finish} closes it and
 * leaves a complete, fsynced file; {@link #discard} closes it and deletes the file.
 */
final class StagedPart {
  private static final Logger log = LoggerFactory.getLogger(StagedPart.class);

  private final Path path;
  private FileChannel channel;
  private final IpcFileWriter writer;
  private int batches;

  private StagedPart(Path path, FileChannel channel, IpcSchema schema) throws IOException {
    this.path = path;
    this.channel = channel;
    this.writer = new IpcFileWriter(channel, schema);
  }

  /** A new temporary file holding the IPC magic and {@code schema}. */
  static StagedPart open(UploadStaging staging, IpcSchema schema) throws IOException {
    Path path = staging.newFile();
    FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE);
    try {
      return new StagedPart(path, channel, schema);
    } catch (IOException | RuntimeException e) {
      channel.close();
      Files.deleteIfExists(path);
      throw e;
    }
  }

  void writeDictionary(byte[] header, List<ByteBuffer> body, long bodyLength) throws IOException {
    writer.writeDictionary(header, body, bodyLength);
  }

  void writeBatch(byte[] header, List<ByteBuffer> body, long bodyLength) throws IOException {
    writer.writeBatch(header, body, bodyLength);
    batches++;
  }

  /** Record batches written so far. */
  int batches() {
    return batches;
  }

  Path path() {
    return path;
  }

  /** Writes the footer, fsyncs and closes: the file is complete. Returns its size in bytes. */
  long finish() throws IOException {
    writer.finish();
    channel.force(true);
    channel.close();
    channel = null;
    return writer.position();
  }

  /** Closes (if still open) and deletes the file; safe to call more than once. */
  void discard() {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException e) {
        log.debug("closing the discarded upload file {}", path, e);
      }
      channel = null;
    }
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      log.warn("could not delete the upload file {}; it goes at the next start", path, e);
    }
  }
}
