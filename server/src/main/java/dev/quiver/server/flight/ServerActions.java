package dev.quiver.server.flight;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quiver.server.catalog.Catalog;
import dev.quiver.server.ipc.MappedFile;
import java.util.List;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.memory.BufferAllocator;

/**
 * The DoAction commands this server understands. Results are JSON documents (UTF-8).
 *
 * <ul>
 *   <li>{@code stats}: what the server holds right now: mapped files and bytes, body bytes queued
 *       in gRPC, open DoGet streams, the Arrow allocator's current and peak bytes, heap use.</li>
 * </ul>
 */
final class ServerActions {
  static final String STATS = "stats";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Catalog catalog;
  private final BufferAllocator allocator;

  ServerActions(Catalog catalog, BufferAllocator allocator) {
    this.catalog = catalog;
    this.allocator = allocator;
  }

  List<Flight.ActionType> types() {
    return List.of(Flight.ActionType.newBuilder()
        .setType(STATS)
        .setDescription("Server statistics as JSON: mapped files, bytes queued for sending, open streams,"
            + " Arrow allocator bytes (current and peak), JVM heap")
        .build());
  }

  byte[] run(String type, byte[] body) throws Exception {
    if (!STATS.equals(type)) {
      throw new IllegalArgumentException(type);
    }
    return JSON.writeValueAsBytes(stats());
  }

  ObjectNode stats() {
    Runtime runtime = Runtime.getRuntime();
    ObjectNode node = JSON.createObjectNode();
    node.put("cached_files", catalog.cachedFiles());
    node.put("mapped_files", MappedFile.liveMappings());
    node.put("mapped_bytes", MappedFile.liveMappedBytes());
    node.put("body_bytes_in_flight", MappedBodyBuf.inFlightBytes());
    node.put("body_bytes_zero_copy", FrameInputStream.zeroCopyBytes());
    node.put("body_bytes_copied", FrameInputStream.copiedBytes());
    node.put("doget_streams_active", DoGetStream.active());
    node.put("doget_bytes_sent", DoGetStream.bytesSent());
    node.put("allocator_bytes", allocator.getAllocatedMemory());
    node.put("allocator_peak_bytes", allocator.getPeakMemoryAllocation());
    node.put("heap_used_bytes", runtime.totalMemory() - runtime.freeMemory());
    node.put("heap_max_bytes", runtime.maxMemory());
    return node;
  }
}
