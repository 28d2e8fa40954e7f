package dev.quiver.client;

import java.nio.file.Path;

/**
 * A completed download.
 *
 * @param file    the IPC file written (complete and fsynced)
 * @param rows    rows written
 * @param batches record batches written
 * @param bytes   size of the file
 * @param resumes how many times a broken connection was resumed
 */
public record DownloadResult(Path file, long rows, long batches, long bytes, int resumes) {}
