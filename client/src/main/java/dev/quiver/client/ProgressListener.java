package dev.quiver.client;

/**
 * Told of a transfer's progress after each record batch. Called from the transfer's threads (a
 * parallel download calls it from several), so it must be thread-safe and quick.
 */
@FunctionalInterface
public interface ProgressListener {
  ProgressListener NONE = progress -> { };

  void onProgress(TransferProgress progress);
}
