package dev.quiver.server.upload;

/**
 * Bounds on uploads.
 *
 * @param maxUploadBytes   largest upload accepted (headers and bodies as received)
 * @param minFreeDiskBytes free space the data root's filesystem must keep; uploads that would go
 *                         below it are refused (at the start, and as they grow)
 */
public record UploadLimits(long maxUploadBytes, long minFreeDiskBytes) {
  public static final long DEFAULT_MAX_UPLOAD_BYTES = 64L << 30;
  public static final long DEFAULT_MIN_FREE_DISK_BYTES = 1L << 30;

  public UploadLimits {
    if (maxUploadBytes <= 0 || minFreeDiskBytes < 0) {
      throw new IllegalArgumentException("upload limits must be positive");
    }
  }

  public static UploadLimits defaults() {
    return new UploadLimits(DEFAULT_MAX_UPLOAD_BYTES, DEFAULT_MIN_FREE_DISK_BYTES);
  }
}
