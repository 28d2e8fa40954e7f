package dev.quiver.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.Criteria;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightEndpoint;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.NoOpFlightProducer;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * DoGet over {@link ArrowFileReader}: every request opens the file, loads the wanted record
 * batches one by one into the reader's {@link VectorSchemaRoot} (read from the file into Arrow
 * buffers) and sends each with {@code putNext()}. Zero-copy writes let gRPC send those buffers
 * without a further copy. Back-pressure: before each {@code putNext()} it waits until
 * {@code listener.isReady()}, polling every 100 µs, so it queues at most gRPC's on-ready threshold
 * plus one batch. (arrow-java's {@code CallbackBackpressureStrategy} cannot be used here: arrow-java
 * calls {@code getStream} on the call's serializing executor, the one that would deliver the
 * on-ready callback it waits for, so every wait ran into its timeout.)
 *
 * <p>GetFlightInfo and ListFlights are there so the harness can treat every server alike; their
 * endpoints split the batches into ranges of about {@code endpointSize} bytes.
 */
final class StockProducer extends NoOpFlightProducer {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long READY_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(60);
  private static final long READY_POLL_NANOS = TimeUnit.MICROSECONDS.toNanos(100);

  private final FileDatasets datasets;
  private final BufferAllocator allocator;
  private final long endpointSize;

  StockProducer(FileDatasets datasets, BufferAllocator allocator, long endpointSize) {
    this.datasets = datasets;
    this.allocator = allocator;
    this.endpointSize = endpointSize;
  }

  @Override
  public void getStream(CallContext context, Ticket ticket, ServerStreamListener listener) {
    Request request;
    try {
      request = Request.parse(ticket.getBytes());
    } catch (RuntimeException e) {
      listener.error(CallStatus.INVALID_ARGUMENT.withDescription(e.getMessage()).toRuntimeException());
      return;
    }
    Path file = datasets.locate(request.dataset);
    if (file == null) {
      listener.error(notFound(request.dataset));
      return;
    }
    try (BufferAllocator streamAllocator = allocator.newChildAllocator("doget", 0, Long.MAX_VALUE);
         FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
         ArrowFileReader reader = new ArrowFileReader(channel, streamAllocator)) {
      VectorSchemaRoot root = reader.getVectorSchemaRoot();
      List<ArrowBlock> blocks = reader.getRecordBlocks();
      int start = request.start < 0 ? 0 : request.start;
      int end = request.end < 0 ? blocks.size() : request.end;
      if (start > end || end > blocks.size()) {
        listener.error(CallStatus.INVALID_ARGUMENT
            .withDescription("batch range [" + start + ", " + end + ") outside the " + blocks.size()
                + " batches of " + request.dataset)
            .toRuntimeException());
        return;
      }
      VectorSchemaRoot sent = request.columns == null ? root : project(root, request.columns);

      listener.setUseZeroCopy(true);
      listener.start(sent, reader);
      for (int i = start; i < end; i++) {
        if (!reader.loadRecordBatch(blocks.get(i))) {
          break;
        }
        if (sent != root) {
          sent.setRowCount(root.getRowCount());
        }
        if (!awaitReady(listener)) {
          return;
        }
        listener.putNext();
      }
      listener.completed();
    } catch (IllegalArgumentException e) {
      listener.error(CallStatus.INVALID_ARGUMENT.withDescription(e.getMessage()).toRuntimeException());
    } catch (IOException | RuntimeException e) {
      listener.error(CallStatus.INTERNAL.withDescription(request.dataset + ": " + e).withCause(e)
          .toRuntimeException());
    }
  }

  /** Waits until gRPC will take another message; false (after reporting it) if the call is over. */
  private static boolean awaitReady(ServerStreamListener listener) {
    long deadline = System.nanoTime() + READY_TIMEOUT_NANOS;
    while (!listener.isReady()) {
      if (listener.isCancelled()) {
        return false;
      }
      if (System.nanoTime() > deadline) {
        listener.error(CallStatus.TIMED_OUT.withDescription("client stopped reading").toRuntimeException());
        return false;
      }
      LockSupport.parkNanos(READY_POLL_NANOS);
    }
    return true;
  }

  /** A root sharing the chosen vectors of the reader's root (it is never closed itself). */
  private static VectorSchemaRoot project(VectorSchemaRoot root, List<String> columns) {
    List<FieldVector> chosen = new ArrayList<>(columns.size());
    for (String column : columns) {
      FieldVector vector = root.getVector(column);
      if (vector == null) {
        throw new IllegalArgumentException("no column '" + column + "'");
      }
      chosen.add(vector);
    }
    return new VectorSchemaRoot(chosen);
  }

  @Override
  public FlightInfo getFlightInfo(CallContext context, FlightDescriptor descriptor) {
    String dataset;
    if (descriptor.isCommand()) {
      dataset = Request.parse(descriptor.getCommand()).dataset;
    } else {
      dataset = String.join("/", descriptor.getPath());
    }
    Path file = datasets.locate(dataset);
    if (file == null) {
      throw notFound(dataset);
    }
    return describe(dataset, file, descriptor);
  }

  @Override
  public void listFlights(CallContext context, Criteria criteria, StreamListener<FlightInfo> listener) {
    try {
      for (String name : datasets.names()) {
        listener.onNext(describe(name, datasets.locate(name), FlightDescriptor.path(name)));
      }
      listener.onCompleted();
    } catch (RuntimeException e) {
      listener.onError(e);
    }
  }

  /** Schema, byte count and endpoints from the file's footer (record counts would need every batch header: -1). */
  private FlightInfo describe(String dataset, Path file, FlightDescriptor descriptor) {
    try (BufferAllocator infoAllocator = allocator.newChildAllocator("info", 0, Long.MAX_VALUE);
         FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
         ArrowFileReader reader = new ArrowFileReader(channel, infoAllocator)) {
      Schema schema = reader.getVectorSchemaRoot().getSchema();
      List<ArrowBlock> blocks = reader.getRecordBlocks();
      List<FlightEndpoint> endpoints = new ArrayList<>();
      long totalBytes = 0;
      long rangeBytes = 0;
      int rangeStart = 0;
      for (int i = 0; i < blocks.size(); i++) {
        long size = blocks.get(i).getMetadataLength() + blocks.get(i).getBodyLength();
        totalBytes += size;
        rangeBytes += size;
        if (rangeBytes >= endpointSize || i == blocks.size() - 1) {
          endpoints.add(new FlightEndpoint(rangeTicket(dataset, rangeStart, i + 1)));
          rangeStart = i + 1;
          rangeBytes = 0;
        }
      }
      if (endpoints.isEmpty()) {
        endpoints.add(new FlightEndpoint(rangeTicket(dataset, 0, 0)));
      }
      return new FlightInfo(schema, descriptor, endpoints, totalBytes, -1);
    } catch (IOException e) {
      throw CallStatus.INTERNAL.withDescription(dataset + ": " + e).withCause(e).toRuntimeException();
    }
  }

  private static Ticket rangeTicket(String dataset, int start, int end) {
    ObjectNode node = JSON.createObjectNode();
    node.put("dataset", dataset);
    node.putArray("batches").add(start).add(end);
    return new Ticket(node.toString().getBytes(StandardCharsets.UTF_8));
  }

  private static RuntimeException notFound(String dataset) {
    return CallStatus.NOT_FOUND.withDescription("no dataset '" + dataset + "'").toRuntimeException();
  }

  /** A ticket: a bare dataset name, or {"dataset": ..., "columns": [...], "batches": [start, end]}. */
  private record Request(String dataset, List<String> columns, int start, int end) {
    static Request parse(byte[] bytes) {
      String text = new String(bytes, StandardCharsets.UTF_8).trim();
      if (!text.startsWith("{")) {
        return new Request(text, null, -1, -1);
      }
      JsonNode node;
      try {
        node = JSON.readTree(text);
      } catch (IOException e) {
        throw new IllegalArgumentException("ticket is not JSON: " + e.getMessage());
      }
      JsonNode dataset = node.get("dataset");
      if (dataset == null || !dataset.isTextual()) {
        throw new IllegalArgumentException("ticket has no \"dataset\" string");
      }
      List<String> columns = null;
      if (node.has("columns")) {
        columns = new ArrayList<>();
        for (JsonNode column : node.get("columns")) {
          columns.add(column.asText());
        }
      }
      int start = -1;
      int end = -1;
      if (node.has("batches")) {
        JsonNode range = node.get("batches");
        if (!range.isArray() || range.size() != 2) {
          throw new IllegalArgumentException("\"batches\" must be [start, end]");
        }
        start = range.get(0).asInt();
        end = range.get(1).asInt();
      }
      return new Request(dataset.asText(), columns, start, end);
    }
  }
}
