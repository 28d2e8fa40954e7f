package dev.quiver.server.reliability;

import static dev.quiver.server.reliability.BadInput.of;
import static dev.quiver.server.reliability.UploadMessages.command;
import static dev.quiver.server.testing.FlightDataMessages.data;
import static dev.quiver.server.reliability.UploadMessages.path;
import static io.grpc.Status.Code.ALREADY_EXISTS;
import static io.grpc.Status.Code.DEADLINE_EXCEEDED;
import static io.grpc.Status.Code.INTERNAL;
import static io.grpc.Status.Code.INVALID_ARGUMENT;
import static io.grpc.Status.Code.RESOURCE_EXHAUSTED;

import dev.quiver.server.ipc.ArrowFiles;
import dev.quiver.server.testing.TestTables;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.memory.BufferAllocator;

/** Bad uploads (DoPut): descriptors, names, streams that break the IPC rules, and the upload limits. */
final class UploadInputs {
  private UploadInputs() {}

  static List<BadInput> rows(MatrixServers servers, UploadMessages messages, BufferAllocator allocator,
      Path scratch) throws IOException {
    RawFlight open = servers.connect(servers.open, null);
    List<BadInput> rows = new ArrayList<>();
    descriptors(rows, open, messages);
    streams(rows, open, messages, allocator, scratch);
    limits(rows, servers, messages);
    return rows;
  }

  private static void descriptors(List<BadInput> rows, RawFlight open, UploadMessages m) {
    String g = "Uploads: descriptors and names";
    rows.add(of(g, "no message at all", "DoPut").expect(INVALID_ARGUMENT, "ended before a schema message")
        .by(() -> open.doPut(List.of())));
    rows.add(of(g, "a descriptor and nothing else", "DoPut").expect(INVALID_ARGUMENT, "ended before a schema message")
        .by(() -> open.doPut(List.of(data(path("bad"), null, null)))));
    rows.add(of(g, "a valid stream whose first message has no descriptor", "DoPut")
        .expect(INVALID_ARGUMENT, "must carry a descriptor").by(() -> open.doPut(m.upload(null, ArrowFiles.Spec.stream(1, 5)))));
    rows.add(of(g, "path descriptor with no segments", "DoPut").expect(INVALID_ARGUMENT, "no segments")
        .by(() -> open.doPut(m.small(path()))));
    String[][] commands = {
        {"bytes `FF FF` (not UTF-8)", null, "", null},
        {"`{\"dataset\": \"bad\",`", "{\"dataset\": \"bad\",", "not valid JSON", null},
        {"`{\"dataset\": \"bad\", \"mode\": \"upsert\"}`", "{\"dataset\": \"bad\", \"mode\": \"upsert\"}",
            "\"mode\" in upload command for dataset 'bad' must be one of", "bad"},
        {"`{\"dataset\": \"bad\", \"compression\": \"brotli\"}`", "{\"dataset\": \"bad\", \"compression\": \"brotli\"}",
            "\"compression\" in upload command for dataset 'bad' must be one of", "bad"},
        {"`{\"dataset\": \"bad\", \"colour\": \"red\"}`", "{\"dataset\": \"bad\", \"colour\": \"red\"}",
            "unknown key \"colour\"", "bad"},
        {"`{\"mode\": \"append\"}`", "{\"mode\": \"append\"}", "needs \"dataset\"", null},
        {"`{\"dataset\": 42}`", "{\"dataset\": 42}", "\"dataset\"", null},
    };
    for (String[] c : commands) {
      Flight.FlightDescriptor descriptor = c[1] == null ? command(new byte[] {(byte) 0xff, (byte) 0xff}) : command(c[1]);
      BadInput.Expectation expectation = of(g, "command " + c[0], "DoPut").expect(INVALID_ARGUMENT, c[2]);
      rows.add((c[3] == null ? expectation : expectation.naming(c[3])).by(() -> open.doPut(m.small(descriptor))));
    }
    String[][] names = {
        {"path `[\"..\", \"x\"]`", "'..' segments are not allowed", null},
        {"path `[\"/etc\", \"x\"]`", "", null},
        {"path `[\".quiver-uploads\", \"x\"]` (the staging area)", "reserved", ".quiver-uploads/x"},
        {"path `[\".hidden\"]`", "reserved", ".hidden"},
        {"path `[\"x.parts\"]`", "reserved for multi-part datasets", "x.parts"},
        {"path `[\"logs.parts\", \"part-000009\"]` (inside a parts directory)", "reserved", "logs.parts/part-000009"},
        {"path `[\"notadir\", \"x\"]` (a plain file is in the way)", "is a file, not a directory", "notadir/x"},
    };
    List<String[]> segments = List.of(new String[] {"..", "x"}, new String[] {"/etc", "x"},
        new String[] {".quiver-uploads", "x"}, new String[] {".hidden"}, new String[] {"x.parts"},
        new String[] {"logs.parts", "part-000009"}, new String[] {"notadir", "x"});
    for (int i = 0; i < names.length; i++) {
      String[] c = names[i];
      Flight.FlightDescriptor descriptor = path(segments.get(i));
      BadInput.Expectation expectation = of(g, c[0], "DoPut").expect(INVALID_ARGUMENT, c[1]);
      rows.add((c[2] == null ? expectation : expectation.naming(c[2])).by(() -> open.doPut(m.small(descriptor))));
    }
    rows.add(of(g, "create (path descriptor) of the existing `sales`", "DoPut").expect(ALREADY_EXISTS, "already exists")
        .naming("sales").by(() -> open.doPut(m.small(path("sales")))));
    rows.add(of(g, "`{\"dataset\": \"other\", \"mode\": \"append\"}` with another schema", "DoPut")
        .expect(INVALID_ARGUMENT, "schema differs").naming("other")
        .by(() -> open.doPut(m.small(command("{\"dataset\": \"other\", \"mode\": \"append\"}")))));
    rows.add(of(g, "`{\"dataset\": \"broken/garbage\", \"mode\": \"append\"}` (append to a corrupt file)", "DoPut")
        .expect(INTERNAL, "").naming("broken/garbage")
        .by(() -> open.doPut(m.small(command("{\"dataset\": \"broken/garbage\", \"mode\": \"append\"}")))));
  }

  private static void streams(List<BadInput> rows, RawFlight open, UploadMessages m, BufferAllocator allocator,
      Path scratch) throws IOException {
    String g = "Uploads: IPC streams";
    ArrowFiles.Spec spec = ArrowFiles.Spec.stream(2, 10); // schema, dictionary, 2 batches
    List<ArrowFiles.RawMessage> good = m.messages(spec);
    ArrowFiles.RawMessage schema = good.get(0);
    ArrowFiles.RawMessage dictionary = good.get(1);
    ArrowFiles.RawMessage batch = good.get(2);
    byte[] garbage = "this is not a flatbuffer message at all".getBytes(StandardCharsets.US_ASCII);
    Path mixedFile = TestTables.writeMixed(allocator, scratch.resolve("mixed.arrows"), 1, 10, true);
    List<ArrowFiles.RawMessage> foreign = ArrowFiles.messages(Files.readAllBytes(mixedFile));
    // Each upload its own name: one wrongly stored would otherwise make the next ones ALREADY_EXISTS.
    rows.add(row(g, "garbage bytes as the schema message", open, "bad/schema-garbage",
        List.of(new ArrowFiles.RawMessage(garbage, new byte[0])), INVALID_ARGUMENT, "invalid schema message"));
    rows.add(row(g, "a record batch in place of the schema", open, "bad/batch-first", List.of(batch), INVALID_ARGUMENT,
        "the first message must be a schema"));
    rows.add(row(g, "a second schema message after the first batch", open, "bad/two-schemas",
        List.of(schema, dictionary, batch, schema), INVALID_ARGUMENT, "only one schema message"));
    rows.add(row(g, "a batch whose body is 8 bytes shorter than its header says", open, "bad/short-body",
        List.of(schema, dictionary, new ArrowFiles.RawMessage(batch.header(), Arrays.copyOf(batch.body(), batch.body().length - 8))),
        INVALID_ARGUMENT, "bytes came with it"));
    rows.add(row(g, "a batch with 64 bytes more body than its header says", open, "bad/long-body",
        List.of(schema, dictionary, new ArrowFiles.RawMessage(batch.header(), Arrays.copyOf(batch.body(), batch.body().length + 64))),
        INVALID_ARGUMENT, "bytes came with it"));
    rows.add(row(g, "garbage bytes as a batch header", open, "bad/batch-garbage",
        List.of(schema, dictionary, new ArrowFiles.RawMessage(garbage, new byte[16])), INVALID_ARGUMENT, "message"));
    rows.add(of(g, "a body with no header", "DoPut").expect(INVALID_ARGUMENT, "a body but no IPC header").naming("bad/headless")
        .by(() -> {
          List<Flight.FlightData> sent = new ArrayList<>(
              UploadMessages.asFlightData(path("bad", "headless"), List.of(schema, dictionary, batch)));
          sent.add(data(null, null, new byte[64]));
          return open.doPut(sent);
        }));
    rows.add(row(g, "a batch of another schema (batch does not match the schema)", open, "bad/foreign-batch",
        List.of(schema, dictionary, foreign.get(foreign.size() - 1)), INVALID_ARGUMENT, "its schema implies"));
    rows.add(row(g, "a dictionary for an id the schema does not use", open, "bad/foreign-dictionary",
        List.of(schema, dictionary, foreign.get(1)), INVALID_ARGUMENT, "dictionary id 7 is not used by any field of the schema"));
    rows.add(row(g, "a batch using a dictionary that was never sent", open, "bad/no-dictionary", List.of(schema, batch),
        INVALID_ARGUMENT, "the dictionary with id 5 that the schema uses was not sent before it"));
  }

  private static BadInput row(String group, String input, RawFlight connection, String name,
      List<ArrowFiles.RawMessage> messages, io.grpc.Status.Code code, String fragment) {
    return of(group, input, "DoPut").expect(code, fragment).naming(name)
        .by(() -> connection.doPut(UploadMessages.asFlightData(path(name.split("/")), messages)));
  }

  private static void limits(List<BadInput> rows, MatrixServers servers, UploadMessages m) {
    String g = "Uploads: limits";
    RawFlight limited = servers.connect(servers.limited, null);
    RawFlight reserve = servers.connect(servers.reserve, null);
    rows.add(of(g, "a message larger than `--max-message-size` (" + MatrixServers.MAX_MESSAGE_BYTES / 1024 + " KiB)", "DoPut")
        .expect(RESOURCE_EXHAUSTED, "").by(() -> limited.doPut(m.upload(path("huge"), ArrowFiles.Spec.stream(1, 5_000)))));
    rows.add(of(g, "an upload larger than `--max-upload-size` (" + MatrixServers.MAX_UPLOAD_BYTES / 1024 + " KiB)", "DoPut")
        .expect(RESOURCE_EXHAUSTED, "exceeds the server's limit").naming("large")
        .by(() -> limited.doPut(m.upload(path("large"), ArrowFiles.Spec.stream(20, 100)))));
    rows.add(of(g, "an upload below the `--min-free-disk` reserve", "DoPut")
        .expect(RESOURCE_EXHAUSTED, "below the configured reserve").naming("new").by(() -> reserve.doPut(m.small(path("new")))));
    rows.add(of(g, "a schema, then silence for longer than `--upload-idle-timeout` (" + MatrixServers.IDLE_SECONDS + " s)",
        "DoPut").expect(DEADLINE_EXCEEDED, "sent nothing for " + MatrixServers.IDLE_SECONDS + " s").naming("idle")
        .by(() -> limited.doPutAndWait(m.upload(path("idle"), ArrowFiles.Spec.stream(1, 5)).subList(0, 1))));
  }
}
