package dev.quiver.server.flight;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quiver.protocol.DatasetName;
import dev.quiver.protocol.ProtocolException;
import dev.quiver.protocol.ProtocolSchema;
import dev.quiver.protocol.Utf8Text;
import dev.quiver.protocol.StrictJson;
import dev.quiver.server.auth.Access;
import dev.quiver.server.auth.Scope;
import dev.quiver.server.catalog.Catalog;
import dev.quiver.server.catalog.OpenDataset;
import dev.quiver.server.ipc.IpcIndex;
import dev.quiver.server.ipc.MappedFile;
import dev.quiver.server.telemetry.CallReport;
import dev.quiver.server.upload.DatasetStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * The DoAction commands this server understands. Bodies and results are JSON documents (UTF-8),
 * bodies validated against their {@link ProtocolSchema}s (results are checked against theirs by the
 * tests); where a body names one dataset, the bare name works too.
 */
final class ServerActions {
  private static final ObjectMapper JSON = StrictJson.MAPPER;

  /** An action: what it is called, what it does (for ListActions), how to run it. */
  private record Action(String description, Handler handler) {}

  private interface Handler {
    Object run(byte[] body) throws Exception;
  }

  private final Catalog catalog;
  private final DatasetStore store;
  private final BufferAllocator allocator;
  private final Map<String, Action> actions = new LinkedHashMap<>();

  ServerActions(Catalog catalog, DatasetStore store, BufferAllocator allocator) {
    this.catalog = catalog;
    this.store = store;
    this.allocator = allocator;
    actions.put("describe", new Action(
        "{\"dataset\": NAME} (or the bare name) -> JSON: schema, rows, batches, bytes, format, compression,"
            + " modification time, parts", this::describe));
    actions.put("delete", new Action(
        "{\"dataset\": NAME} (or the bare name) -> {\"deleted\": NAME}; streams already reading it finish normally",
        this::delete));
    actions.put("rename", new Action(
        "{\"from\": NAME, \"to\": NAME, \"overwrite\": false} -> {\"renamed\": FROM, \"to\": TO}", this::rename));
    actions.put("refresh", new Action(
        "{} -> {\"datasets\": N}: forget cached indexes and rescan the data directory", this::refresh));
    actions.put("stats", new Action(
        "{} -> JSON: mapped files, bytes queued for sending, open streams, Arrow allocator bytes (current and"
            + " peak), JVM heap", body -> {
              object(body, "stats", ProtocolSchema.STATS_REQUEST);
              Access.requireEverywhere(Scope.ADMIN, "read the server's stats");
              return stats();
            }));
  }

  List<Flight.ActionType> types() {
    List<Flight.ActionType> types = new ArrayList<>();
    actions.forEach((type, action) ->
        types.add(Flight.ActionType.newBuilder().setType(type).setDescription(action.description()).build()));
    return types;
  }

  Set<String> names() {
    return actions.keySet();
  }

  byte[] run(String type, byte[] body) throws Exception {
    return JSON.writeValueAsBytes(actions.get(type).handler().run(body));
  }

  // ---- bodies ----

  /** A JSON body, validated against the action's request schema; an empty body is {@code {}}. */
  private static ObjectNode object(byte[] body, String action, ProtocolSchema schema) {
    String text = Utf8Text.decode(body, "body of action '" + action + "'", "").strip();
    return schema.read(text.isEmpty() ? "{}" : text, "body of action '" + action + "'");
  }

  /** A body naming one dataset: {@code {"dataset": "x"}} or just {@code x}. */
  private static DatasetName dataset(byte[] body, String action, ProtocolSchema schema) {
    String text = Utf8Text.decode(body, "body of action '" + action + "'", "").strip();
    if (!text.startsWith("{")) {
      if (text.isEmpty()) {
        throw new ProtocolException("action '" + action + "' needs a dataset: {\"dataset\": \"sales\"} or the bare name");
      }
      return DatasetName.parse(text);
    }
    return DatasetName.parse(object(body, action, schema).get("dataset").textValue());
  }

  // ---- actions ----

  private Object describe(byte[] body) throws Exception {
    DatasetName name = dataset(body, "describe", ProtocolSchema.DESCRIBE_REQUEST);
    CallReport.current().dataset(name);
    Access.require(Scope.READ, name);
    try (OpenDataset dataset = catalog.open(name)) {
      IpcIndex index = dataset.index();
      ObjectNode out = JSON.createObjectNode();
      out.put("dataset", name.toString());
      out.put("path", catalog.root().path().relativize(dataset.path()).toString());
      out.put("format", dataset.partCount() > 1 ? "parts" : index.format().name().toLowerCase(Locale.ROOT));
      out.put("parts", dataset.partCount());
      out.put("rows", index.totalRows());
      out.put("batches", index.batchCount());
      long bytes = 0;
      for (int p = 0; p < dataset.partCount(); p++) {
        bytes += dataset.file(p).size();
      }
      out.put("bytes", bytes);
      out.put("compression", String.join(",", index.compressionCodecs()));
      out.put("modified", Files.getLastModifiedTime(dataset.path()).toInstant().toString());
      ArrayNode schema = out.putArray("schema");
      List<String> names = index.schema().fieldNames();
      List<Field> fields = arrowFields(index);
      for (int i = 0; i < names.size(); i++) {
        ObjectNode column = schema.addObject().put("name", names.get(i));
        if (fields != null) {
          Field field = fields.get(i);
          column.put("type", field.getType().toString()).put("nullable", field.isNullable());
          if (field.getDictionary() != null) {
            column.put("dictionary_encoded", true);
          }
        }
      }
      return out;
    }
  }

  /** arrow-java's view of the fields, for type names; null for types it cannot decode. */
  private static List<Field> arrowFields(IpcIndex index) {
    try {
      return index.schema().toArrow().getFields();
    } catch (RuntimeException e) {
      return null;
    }
  }

  private Object delete(byte[] body) throws Exception {
    DatasetName name = dataset(body, "delete", ProtocolSchema.DELETE_REQUEST);
    CallReport.current().dataset(name);
    Access.require(Scope.WRITE, name);
    store.delete(name);
    return JSON.createObjectNode().put("deleted", name.toString());
  }

  private Object rename(byte[] body) throws Exception {
    ObjectNode request = object(body, "rename", ProtocolSchema.RENAME_REQUEST);
    DatasetName from = DatasetName.parse(request.get("from").textValue());
    DatasetName to = DatasetName.parse(request.get("to").textValue());
    CallReport.current().dataset(from);
    Access.require(Scope.WRITE, from);
    Access.require(Scope.WRITE, to);
    Path target = store.rename(from, to, request.path("overwrite").asBoolean(false));
    return JSON.createObjectNode().put("renamed", from.toString()).put("to", to.toString())
        .put("path", catalog.root().path().relativize(target).toString());
  }

  private Object refresh(byte[] body) throws Exception {
    object(body, "refresh", ProtocolSchema.REFRESH_REQUEST);
    Access.requireEverywhere(Scope.ADMIN, "refresh the catalog");
    catalog.invalidate();
    return JSON.createObjectNode().put("datasets", catalog.names().size());
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
