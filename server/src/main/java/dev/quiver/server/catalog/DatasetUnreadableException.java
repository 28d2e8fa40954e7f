package dev.quiver.server.catalog;

import dev.quiver.protocol.DatasetName;

/**
 * The dataset's file exists but cannot be served: it is corrupt, truncated, not Arrow at all, or
 * unreadable. Only this dataset is affected; the message names it and says what is wrong.
 */
public final class DatasetUnreadableException extends Exception {
  private static final long serialVersionUID = 1L;

  public DatasetUnreadableException(DatasetName name, String fileName, Throwable cause) {
    super("dataset '" + name + "' cannot be served: file '" + fileName + "' is not a valid Arrow IPC file: "
        + cause.getMessage(), cause);
  }
}
