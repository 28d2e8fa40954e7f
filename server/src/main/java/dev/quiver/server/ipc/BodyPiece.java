package dev.quiver.server.ipc;

/**
 * One contiguous run of a message body as sent: either bytes of the mapped file or zero padding.
 * A body is a list of pieces; an unprojected body is a single piece straight out of the file.
 *
 * @param fileOffset absolute offset in the mapped file, or -1 for zeros
 * @param length     bytes in this piece
 */
public record BodyPiece(long fileOffset, long length) {
  public static BodyPiece ofFile(long fileOffset, long length) {
    return new BodyPiece(fileOffset, length);
  }

  public static BodyPiece zeros(long length) {
    return new BodyPiece(-1, length);
  }

  public boolean isZeros() {
    return fileOffset < 0;
  }
}
