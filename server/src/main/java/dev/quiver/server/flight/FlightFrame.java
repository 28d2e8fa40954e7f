package dev.quiver.server.flight;

import dev.quiver.server.ipc.BodyPiece;
import dev.quiver.server.ipc.MappedFile;
import java.util.List;

/**
 * One {@code FlightData} message as Quiver sends it: a flatbuffer IPC header and a body made of
 * pieces of a mapped file. It does not own a reference to the file: it is handed to gRPC while the
 * stream that made it holds the dataset open, and the network buffer made from it at that moment
 * takes its own reference (see {@link MappedBodyBuf}).
 */
record FlightFrame(byte[] header, MappedFile file, List<BodyPiece> body, long bodyLength) {

  /** A message without a body, such as the schema. */
  static FlightFrame headerOnly(byte[] header) {
    return new FlightFrame(header, null, List.of(), 0);
  }

  /** A message whose body is one contiguous range of the file, sent as stored. */
  static FlightFrame ofFileRange(byte[] header, MappedFile file, long offset, long length) {
    return new FlightFrame(header, file, length == 0 ? List.of() : List.of(BodyPiece.ofFile(offset, length)), length);
  }
}
