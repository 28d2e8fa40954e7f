package dev.quiver.client;

import dev.quiver.protocol.UploadRequest.Compression;
import dev.quiver.protocol.UploadRequest.Mode;
import java.util.Objects;

/**
 * How an upload is stored and run. Immutable; start from {@link #defaults()}.
 *
 * @param mode         {@code CREATE} (default: fails if the dataset exists), {@code OVERWRITE}, {@code APPEND}
 * @param compression  buffer compression the server applies when storing (default none, which is
 *                     what zero-copy serving wants)
 * @param progress     told after every batch the server acknowledged
 * @param cancellation lets another thread stop the upload (nothing is stored then)
 */
public record UploadOptions(Mode mode, Compression compression, ProgressListener progress, Cancellation cancellation) {
  public UploadOptions {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(compression, "compression");
    Objects.requireNonNull(progress, "progress");
    Objects.requireNonNull(cancellation, "cancellation");
  }

  public static UploadOptions defaults() {
    return new UploadOptions(Mode.CREATE, Compression.NONE, ProgressListener.NONE, new Cancellation());
  }

  public UploadOptions withMode(Mode mode) {
    return new UploadOptions(mode, compression, progress, cancellation);
  }

  public UploadOptions withCompression(Compression compression) {
    return new UploadOptions(mode, compression, progress, cancellation);
  }

  public UploadOptions withProgress(ProgressListener progress) {
    return new UploadOptions(mode, compression, progress, cancellation);
  }

  public UploadOptions withCancellation(Cancellation cancellation) {
    return new UploadOptions(mode, compression, progress, cancellation);
  }
}
