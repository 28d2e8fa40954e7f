package dev.quiver.server.ipc;

import java.io.IOException;

/**
 * A file that is not a well-formed Arrow IPC file: wrong magic, a footer or block pointing outside
 * the file, a message whose header cannot be parsed. The message says where the file is broken.
 */
public final class IpcFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  public IpcFormatException(String message) {
    super(message);
  }

  public IpcFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
