package dev.quiver.client.download;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The dictionary messages in force in a stream, by id: the last full dictionary and the deltas
 * after it, each known by its digest. A server starting a batch range replays these; a message
 * already in force is a replay, not news.
 */
final class DictionaryState {
  private final Map<Long, List<byte[]>> byId = new HashMap<>();

  /** Whether this exact message is already in force for its id. */
  boolean isInForce(long id, byte[] digest) {
    List<byte[]> messages = byId.get(id);
    if (messages == null) {
      return false;
    }
    for (byte[] known : messages) {
      if (MessageDigest.isEqual(known, digest)) {
        return true;
      }
    }
    return false;
  }

  /** Whether a full dictionary for {@code id} would replace one already in force. */
  boolean wouldReplace(long id, boolean delta) {
    return !delta && byId.containsKey(id);
  }

  void record(long id, boolean delta, byte[] digest) {
    List<byte[]> messages = delta ? byId.computeIfAbsent(id, i -> new ArrayList<>()) : new ArrayList<>();
    messages.add(digest);
    byId.put(id, messages);
  }
}
