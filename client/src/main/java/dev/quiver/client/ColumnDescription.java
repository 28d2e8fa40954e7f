package dev.quiver.client;

/** One column of a {@link DatasetDescription}: name, Arrow type as text, nullability, dictionary encoding. */
public record ColumnDescription(String name, String type, boolean nullable, boolean dictionaryEncoded) {}
