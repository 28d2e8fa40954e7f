package dev.quiver.server.catalog;

/** The catalog was closed (the server is shutting down); answered with {@code UNAVAILABLE}. */
public final class CatalogClosedException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  CatalogClosedException() {
    super("catalog is closed");
  }
}
