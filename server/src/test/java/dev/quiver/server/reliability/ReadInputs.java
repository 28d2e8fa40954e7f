package dev.quiver.server.reliability;

import static dev.quiver.server.reliability.BadInput.of;
import static io.grpc.Status.Code.INTERNAL;
import static io.grpc.Status.Code.INVALID_ARGUMENT;
import static io.grpc.Status.Code.NOT_FOUND;
import static io.grpc.Status.Code.UNIMPLEMENTED;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.flight.impl.Flight;

/** Bad inputs on the read side: tickets, dataset names, descriptors, listing criteria, calls Quiver does not offer. */
final class ReadInputs {
  private ReadInputs() {}

  static List<BadInput> rows(MatrixServers servers) {
    RawFlight open = servers.connect(servers.open, null);
    List<BadInput> rows = new ArrayList<>();
    tickets(rows, open);
    names(rows, open);
    descriptors(rows, open);
    return rows;
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /** A JSON ticket row on DoGet: the text is both what is sent and what the document shows. */
  private static BadInput.Builder json(String group, String ticket) {
    return of(group, "`" + ticket + "`", "DoGet");
  }

  private static void tickets(List<BadInput> rows, RawFlight open) {
    String g = "Tickets";
    rows.add(of(g, "empty ticket (0 bytes)", "DoGet").expect(INVALID_ARGUMENT, "ticket is empty")
        .by(() -> open.doGet(new byte[0])));
    rows.add(of(g, "whitespace only (`   `)", "DoGet").expect(INVALID_ARGUMENT, "empty")
        .by(() -> open.doGet(utf8("   "))));
    rows.add(of(g, "bytes `FF FE 00 62 61 64` (not UTF-8)", "DoGet").expect(INVALID_ARGUMENT, "not valid UTF-8")
        .by(() -> open.doGet(new byte[] {(byte) 0xff, (byte) 0xfe, 0, 'b', 'a', 'd'})));
    rows.add(of(g, "1 MiB + 2 bytes: `{`, spaces, `}`", "DoGet").expect(INVALID_ARGUMENT, "ticket is")
        .by(() -> {
          byte[] big = new byte[(1 << 20) + 2];
          Arrays.fill(big, (byte) ' ');
          big[0] = '{';
          big[big.length - 1] = '}';
          return open.doGet(big);
        }));
    List<String[]> json = List.of(
        new String[] {"{\"dataset\": \"sales\",", "not valid JSON", null},
        new String[] {"{\"dataset\": \"sales\", \"colums\": [\"id\"]}", "unknown key \"colums\"", "sales"},
        new String[] {"{\"dataset\": \"sales\", \"dataset\": \"other\"}", "dataset", null},
        new String[] {"{\"dataset\": \"sales\"} {}", "content follows the object", "sales"},
        new String[] {"{\"dataset\": 42}", "\"dataset\"", null},
        new String[] {"{\"dataset\": null}", "\"dataset\"", null},
        new String[] {"{\"dataset\": \"\"}", "", null},
        new String[] {"{\"columns\": [\"id\"]}", "\"dataset\"", null},
        new String[] {"{\"dataset\": \"sa\\u0000les\"}", "control characters", null},
        new String[] {"{\"dataset\": \"sales\", \"columns\": \"id\"}", "\"columns\" in ticket for dataset 'sales' must be an array", "sales"},
        new String[] {"{\"dataset\": \"sales\", \"columns\": [\"id\", 3]}", "must be a string, not number", "sales"},
        new String[] {"{\"dataset\": \"sales\", \"columns\": [[\"id\"]]}", "must be a string, not array", "sales"},
        new String[] {"{\"dataset\": \"sales\", \"columns\": [\"id\", \"name\", \"id\"]}", "lists \"id\" more than once", "sales"},
        new String[] {"{\"dataset\": \"sales\", \"columns\": [\"id\", \"nope\"]}", "unknown column 'nope'", "sales"},
        new String[] {"{\"dataset\": \"sales\", \"columns\": [\"ID\"]}", "unknown column 'ID'", "sales"},
        new String[] {"{\"dataset\": \"sales\", \"columns\": [\"point.x\"]}", "unknown column 'point.x'", "sales"},
        new String[] {"{\"dataset\": \"sales\", \"batches\": 3}", "must be an array or null, not number", "sales"},
        new String[] {"{\"dataset\": \"sales\", \"batches\": [1]}", "must have at least 2 items", "sales"},
        new String[] {"{\"dataset\": \"sales\", \"batches\": [0, 1, 2]}", "must have at most 2 items", "sales"},
        new String[] {"{\"dataset\": \"sales\", \"batches\": [0.5, 2]}", "must be an integer", "sales"},
        new String[] {"{\"dataset\": \"sales\", \"batches\": [\"0\", \"2\"]}", "must be an integer, not string", "sales"},
        new String[] {"{\"dataset\": \"sales\", \"batches\": [-1, 2]}", "must have a minimum value of 0", "sales"},
        new String[] {"{\"dataset\": \"sales\", \"batches\": [3, 1]}", "invalid batch range", "sales"},
        new String[] {"{\"dataset\": \"sales\", \"batches\": [2, 5]}", "which has 4 batches", "sales"},
        new String[] {"{\"dataset\": \"sales\", \"batches\": [5, 5]}", "which has 4 batches", "sales"},
        new String[] {"{\"dataset\": \"sales\", \"batches\": [0, 99999999999]}", "must have a maximum value of 2147483647", "sales"},
        new String[] {"{\"dataset\": \"sales\", \"batches\": [0, 1e400]}", "must be an integer", "sales"});
    for (String[] c : json) {
      BadInput.Expectation expectation = json(g, c[0]).expect(INVALID_ARGUMENT, c[1]);
      rows.add((c[2] == null ? expectation : expectation.naming(c[2])).by(() -> open.doGet(utf8(c[0]))));
    }
    String deep = "{\"dataset\": \"sales\", \"columns\": " + "[".repeat(100_000) + "]".repeat(100_000) + "}";
    rows.add(of(g, "`{\"dataset\": \"sales\", \"columns\": [[[…]]]}` nested 100,000 deep", "DoGet")
        .expect(INVALID_ARGUMENT, "nesting depth").by(() -> open.doGet(utf8(deep))));
  }

  private static void names(List<BadInput> rows, RawFlight open) {
    String g = "Dataset names";
    List<String[]> invalid = List.of(
        new String[] {"..", "`..`", "'..' segments are not allowed"},
        new String[] {"logs/../sales", "`logs/../sales`", "'..' segments are not allowed"},
        new String[] {"./sales", "`./sales`", "'.' segments are not allowed"},
        new String[] {"/etc/passwd", "`/etc/passwd` (absolute)", "must not start with '/'"},
        new String[] {"sales\\..\\other", "`sales\\..\\other` (backslashes)", "not allowed"},
        new String[] {"sa\nles", "`sa` LF `les` (control character)", "control characters"},
        new String[] {"sa\u0000les", "`sa` NUL `les`", "control characters"},
        new String[] {"logs//x", "`logs//x` (empty segment)", "empty path segment"},
        new String[] {"sales/", "`sales/` (trailing slash)", "empty path segment"},
        new String[] {"x".repeat(1025), "1,025 × `x`", "at most 1024"});
    for (String[] c : invalid) {
      rows.add(of(g, c[1] + " as a bare ticket", "DoGet").expect(INVALID_ARGUMENT, c[2]).by(() -> open.doGet(utf8(c[0]))));
    }
    rows.add(of(g, "`{\"dataset\": \"../sales\"}`", "DoGet").expect(INVALID_ARGUMENT, "'..' segments are not allowed")
        .by(() -> open.doGet(utf8("{\"dataset\": \"../sales\"}"))));
    rows.add(of(g, "`escape` (a symbolic link to an Arrow file outside the data directory)", "DoGet")
        .expect(NOT_FOUND, "not found").naming("escape").by(() -> open.doGet(utf8("escape"))));
    rows.add(of(g, "`no/such/dataset`", "DoGet").expect(NOT_FOUND, "not found").naming("no/such/dataset")
        .by(() -> open.doGet(utf8("no/such/dataset"))));
    rows.add(of(g, "`%2e%2e/sales` (percent-encoding is not decoded)", "DoGet").expect(NOT_FOUND, "not found")
        .naming("%2e%2e/sales").by(() -> open.doGet(utf8("%2e%2e/sales"))));
    rows.add(of(g, "`broken` (a directory, not a dataset)", "DoGet").expect(NOT_FOUND, "not found").naming("broken")
        .by(() -> open.doGet(utf8("broken"))));
    rows.add(of(g, "`notadir` (a plain file that is not Arrow)", "DoGet").expect(NOT_FOUND, "not found")
        .naming("notadir").by(() -> open.doGet(utf8("notadir"))));
    rows.add(of(g, "`[\"sales\"]` (not an object: read as a bare name)", "DoGet").expect(NOT_FOUND, "not found")
        .naming("[\"sales\"]").by(() -> open.doGet(utf8("[\"sales\"]"))));
    rows.add(of(g, "`.quiver-uploads/x` (the staging area)", "DoGet").expect(NOT_FOUND, "not found").naming(".quiver-uploads/x")
        .by(() -> open.doGet(utf8(".quiver-uploads/x"))));
    rows.add(of(g, "`logs.parts/part-000000` (inside a parts directory)", "DoGet").expect(NOT_FOUND, "not found")
        .naming("logs.parts/part-000000")
        .by(() -> open.doGet(utf8("logs.parts/part-000000"))));
  }

  private static void descriptors(List<BadInput> rows, RawFlight open) {
    String g = "Descriptors and other calls";
    rows.add(of(g, "path descriptor with no segments", "GetFlightInfo").expect(INVALID_ARGUMENT, "")
        .by(() -> open.getFlightInfo(UploadMessages.path())));
    rows.add(of(g, "path descriptor with no segments", "GetSchema").expect(INVALID_ARGUMENT, "")
        .by(() -> open.getSchema(UploadMessages.path())));
    rows.add(of(g, "path `[\"logs\", \"..\", \"sales\"]`", "GetFlightInfo").expect(INVALID_ARGUMENT, "'..' segments")
        .by(() -> open.getFlightInfo(UploadMessages.path("logs", "..", "sales"))));
    rows.add(of(g, "path `[\"\"]` (one empty segment)", "GetSchema").expect(INVALID_ARGUMENT, "")
        .by(() -> open.getSchema(UploadMessages.path(""))));
    rows.add(of(g, "descriptor of type UNKNOWN, nothing set", "GetFlightInfo").expect(INVALID_ARGUMENT, "")
        .by(() -> open.getFlightInfo(Flight.FlightDescriptor.getDefaultInstance())));
    rows.add(of(g, "command bytes `FF FF` (not UTF-8)", "GetFlightInfo").expect(INVALID_ARGUMENT, "not valid UTF-8")
        .by(() -> open.getFlightInfo(UploadMessages.command(new byte[] {(byte) 0xff, (byte) 0xff}))));
    rows.add(of(g, "command `{\"dataset\": \"sales\", \"colour\": 1}`", "GetFlightInfo")
        .expect(INVALID_ARGUMENT, "unknown key \"colour\"").naming("sales")
        .by(() -> open.getFlightInfo(UploadMessages.command("{\"dataset\": \"sales\", \"colour\": 1}"))));
    rows.add(of(g, "command `{\"dataset\": \"sales\", \"columns\": [\"nope\"]}`", "GetSchema")
        .expect(INVALID_ARGUMENT, "unknown column 'nope'").naming("sales")
        .by(() -> open.getSchema(UploadMessages.command("{\"dataset\": \"sales\", \"columns\": [\"nope\"]}"))));
    rows.add(of(g, "command `{\"dataset\": \"sales\", \"batches\": [9, 10]}`", "GetFlightInfo")
        .expect(INVALID_ARGUMENT, "which has 4 batches").naming("sales")
        .by(() -> open.getFlightInfo(UploadMessages.command("{\"dataset\": \"sales\", \"batches\": [9, 10]}"))));
    rows.add(of(g, "command `not json at all` (read as a bare name)", "GetFlightInfo").expect(NOT_FOUND, "not found")
        .naming("not json at all").by(() -> open.getFlightInfo(UploadMessages.command("not json at all"))));
    rows.add(of(g, "criteria `[` (an unclosed glob class)", "ListFlights").expect(INVALID_ARGUMENT, "")
        .by(() -> open.listFlights(utf8("["))));
    rows.add(of(g, "criteria `{a,` (an unclosed glob group)", "ListFlights").expect(INVALID_ARGUMENT, "")
        .by(() -> open.listFlights(utf8("{a,"))));
    rows.add(of(g, "criteria bytes `FF` (not UTF-8)", "ListFlights").expect(INVALID_ARGUMENT, "not valid UTF-8")
        .by(() -> open.listFlights(new byte[] {(byte) 0xff})));
    rows.add(of(g, "path `sales`", "PollFlightInfo").expect(UNIMPLEMENTED, "")
        .by(() -> open.pollFlightInfo(UploadMessages.path("sales"))));
    rows.add(of(g, "one empty message", "DoExchange").expect(UNIMPLEMENTED, "").by(open::doExchange));
    rows.add(of(g, "path `broken/garbage` (a corrupt file)", "GetFlightInfo").expect(INTERNAL, "").naming("broken/garbage")
        .by(() -> open.getFlightInfo(UploadMessages.path("broken", "garbage"))));
  }
}
