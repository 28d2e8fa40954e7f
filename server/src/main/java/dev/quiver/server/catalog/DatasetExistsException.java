package dev.quiver.server.catalog;

import dev.quiver.protocol.DatasetName;

/** A dataset of that name already exists and the request may not replace it. */
public final class DatasetExistsException extends Exception {
  private static final long serialVersionUID = 1L;

  public DatasetExistsException(DatasetName name, String hint) {
    super("dataset '" + name + "' already exists; " + hint);
  }
}
