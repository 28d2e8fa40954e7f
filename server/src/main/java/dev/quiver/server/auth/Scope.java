package dev.quiver.server.auth;

import java.util.Locale;

/**
 * What a principal may do. {@code read}: list, describe and download datasets. {@code write}:
 * upload, delete and rename datasets. {@code admin}: everything, including the server-wide
 * {@code refresh} and {@code stats} actions. Write does not imply read: grant both for read-write.
 */
public enum Scope {
  READ, WRITE, ADMIN;

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
