package dev.quiver.client;

/**
 * A dataset as a listing shows it (from its {@code FlightInfo}).
 *
 * @param name      the dataset name, segments joined by {@code /}
 * @param rows      total rows, or -1 if the server does not know
 * @param bytes     total bytes of its IPC messages, or -1 if the server does not know
 * @param endpoints how many endpoints (independently fetchable batch ranges) the server offers
 */
public record DatasetInfo(String name, long rows, long bytes, int endpoints) {}
