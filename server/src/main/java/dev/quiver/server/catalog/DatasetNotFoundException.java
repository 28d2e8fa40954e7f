package dev.quiver.server.catalog;

import dev.quiver.protocol.DatasetName;

/** No dataset of that name under the data root (or the name points outside it, which looks the same). */
public final class DatasetNotFoundException extends Exception {
  private static final long serialVersionUID = 1L;

  public DatasetNotFoundException(DatasetName name) {
    super("dataset '" + name + "' not found");
  }
}
