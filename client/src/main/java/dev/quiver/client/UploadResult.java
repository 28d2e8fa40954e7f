package dev.quiver.client;

/**
 * A completed upload, as the server's final (durable) acknowledgement describes it.
 *
 * @param dataset the dataset name
 * @param mode    {@code create}, {@code overwrite} or {@code append}
 * @param batches record batches stored
 * @param rows    rows stored
 * @param bytes   bytes the server wrote
 * @param parts   files the dataset now consists of
 */
public record UploadResult(String dataset, String mode, long batches, long rows, long bytes, int parts) {}
