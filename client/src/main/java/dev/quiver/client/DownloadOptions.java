package dev.quiver.client;

import java.util.Objects;

/**
 * How {@link QuiverClient#download} runs. Immutable; start from {@link #defaults()}.
 *
 * @param parallelism  endpoints fetched at the same time (at least 1; default 4)
 * @param maxResumes   how many times each endpoint may be resumed after its connection broke
 *                     (default 5); a resume asks only for the batches not yet received. Errors
 *                     counted as a broken connection: UNAVAILABLE, and INTERNAL or UNKNOWN (what
 *                     gRPC reports for a stream cut mid-way)
 * @param overwrite    whether an existing file at the destination may be replaced (default false)
 * @param progress     told after every batch written
 * @param cancellation lets another thread stop the download
 */
public record DownloadOptions(int parallelism, int maxResumes, boolean overwrite, ProgressListener progress,
    Cancellation cancellation) {
  public DownloadOptions {
    if (parallelism < 1) {
      throw new IllegalArgumentException("parallelism must be at least 1, not " + parallelism);
    }
    if (maxResumes < 0) {
      throw new IllegalArgumentException("maxResumes must not be negative");
    }
    Objects.requireNonNull(progress, "progress");
    Objects.requireNonNull(cancellation, "cancellation");
  }

  public static DownloadOptions defaults() {
    return new DownloadOptions(4, 5, false, ProgressListener.NONE, new Cancellation());
  }

  public DownloadOptions withParallelism(int parallelism) {
    return new DownloadOptions(parallelism, maxResumes, overwrite, progress, cancellation);
  }

  public DownloadOptions withMaxResumes(int maxResumes) {
    return new DownloadOptions(parallelism, maxResumes, overwrite, progress, cancellation);
  }

  public DownloadOptions withOverwrite(boolean overwrite) {
    return new DownloadOptions(parallelism, maxResumes, overwrite, progress, cancellation);
  }

  public DownloadOptions withProgress(ProgressListener progress) {
    return new DownloadOptions(parallelism, maxResumes, overwrite, progress, cancellation);
  }

  public DownloadOptions withCancellation(Cancellation cancellation) {
    return new DownloadOptions(parallelism, maxResumes, overwrite, progress, cancellation);
  }
}
