/**
 * Quiver's Java client library (JDK 17+). Until it grows its own API, any Arrow Flight client works
 * against Quiver; the protocol conventions it will use live in {@code dev.quiver.protocol}.
 */
package dev.quiver.client;
