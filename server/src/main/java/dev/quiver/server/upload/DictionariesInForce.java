package dev.quiver.server.upload;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The dictionary messages an upload has sent that are still in force: per dictionary id, the last
 * full dictionary and the deltas after it. When a replacement forces the upload into a new part
 * file, that file must start with these so its batches decode on their own. Header and body bytes
 * are copies: the DoPut parser reuses its buffers for the next message.
 */
final class DictionariesInForce {
  /** One dictionary batch message as received. */
  record Message(byte[] header, byte[] body) {}

  private final Map<Long, List<Message>> byId = new LinkedHashMap<>();

  boolean contains(long id) {
    return byId.containsKey(id);
  }

  /** Records a dictionary message: a delta adds to what is in force, anything else replaces it. */
  void add(long id, boolean delta, byte[] header, byte[] body) {
    List<Message> messages = delta ? byId.computeIfAbsent(id, i -> new ArrayList<>()) : new ArrayList<>();
    messages.add(new Message(header, body));
    byId.put(id, messages);
  }

  /** Every message in force, in the order they were first sent, leaving out dictionary {@code id}. */
  List<Message> inForceExcept(long id) {
    List<Message> messages = new ArrayList<>();
    byId.forEach((key, value) -> {
      if (key != id) {
        messages.addAll(value);
      }
    });
    return messages;
  }
}
