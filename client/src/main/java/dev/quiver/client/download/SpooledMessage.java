package dev.quiver.client.download;

import dev.quiver.client.ipc.IpcMessage;

/**
 * Where one received IPC message sits in its endpoint's spool file, framed as in an IPC file:
 * {@code metadataLength} bytes of prefix and header, then {@code bodyLength} bytes of body (padded
 * to 8 on disk). Dictionary messages carry a digest of their bytes, to recognise the dictionaries
 * a server replays at the start of each batch range.
 */
record SpooledMessage(IpcMessage header, long offset, int metadataLength, long bodyLength, byte[] digest) {
  /** Bytes the message takes in the spool, padding included. */
  long spoolLength() {
    return metadataLength + IpcMessage.align8(bodyLength);
  }
}
