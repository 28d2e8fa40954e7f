package dev.quiver.server.reliability;

import static dev.quiver.server.reliability.BadInput.of;
import static io.grpc.Status.Code.ALREADY_EXISTS;
import static io.grpc.Status.Code.INTERNAL;
import static io.grpc.Status.Code.INVALID_ARGUMENT;
import static io.grpc.Status.Code.NOT_FOUND;
import static io.grpc.Status.Code.UNIMPLEMENTED;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Bad actions: unknown types, bodies that are not what the action takes, names, renames that must not happen. */
final class ActionInputs {
  private ActionInputs() {}

  static List<BadInput> rows(MatrixServers servers) {
    RawFlight open = servers.connect(servers.open, null);
    List<BadInput> rows = new ArrayList<>();
    String g = "Actions";
    rows.add(of(g, "type `explode`", "DoAction").expect(UNIMPLEMENTED, "describe").by(() -> open.doAction("explode", new byte[0])));
    rows.add(of(g, "type `` (empty)", "DoAction").expect(UNIMPLEMENTED, "").by(() -> open.doAction("", new byte[0])));
    String[][] cases = {
        // type, body, document's body, code, fragment, dataset named
        {"describe", "{\"dataset\": \"sales\",", null, "INVALID_ARGUMENT", "not valid JSON", null},
        {"describe", null, "bytes `FF FE`", "INVALID_ARGUMENT", "not valid UTF-8", null},
        {"describe", "", "empty", "INVALID_ARGUMENT", "", null},
        {"describe", "{}", null, "INVALID_ARGUMENT", "\"dataset\"", null},
        {"describe", "{\"dataset\": \"sales\", \"extra\": 1}", null, "INVALID_ARGUMENT", "unknown key \"extra\"", "sales"},
        {"describe", "{\"dataset\": [\"sales\"]}", null, "INVALID_ARGUMENT", "\"dataset\"", null},
        {"describe", "{\"dataset\": \"missing\"}", null, "NOT_FOUND", "not found", "missing"},
        {"describe", "{\"dataset\": \"../sales\"}", null, "INVALID_ARGUMENT", "'..' segments are not allowed", null},
        {"describe", "{\"dataset\": \"broken/truncated-footer\"}", null, "INTERNAL", "", "broken/truncated-footer"},
        {"delete", "{\"dataset\": \"missing\"}", null, "NOT_FOUND", "not found", "missing"},
        {"delete", "/etc/passwd", null, "INVALID_ARGUMENT", "must not start with '/'", null},
        {"delete", "{\"dataset\": \".quiver-uploads\"}", null, "NOT_FOUND", "not found", ".quiver-uploads"},
        {"delete", "{\"dataset\": \"escape\"}", null, "NOT_FOUND", "not found", "escape"},
        {"delete", "{\"dataset\": \"logs.parts/part-000000\"}", null, "NOT_FOUND", "not found", "logs.parts/part-000000"},
        {"rename", "{\"from\": \"sales\", \"to\": \"other\"}", null, "ALREADY_EXISTS", "already exists", "other"},
        {"rename", "{\"from\": \"missing\", \"to\": \"x\"}", null, "NOT_FOUND", "not found", "missing"},
        {"rename", "{\"from\": \"sales\", \"to\": \"sales\"}", null, "INVALID_ARGUMENT", "to itself", "sales"},
        {"rename", "{\"from\": \"sales\"}", null, "INVALID_ARGUMENT", "\"to\"", null},
        {"rename", "{\"from\": \"sales\", \"to\": \"x\", \"overwrite\": \"yes\"}", null, "INVALID_ARGUMENT", "\"overwrite\"", null},
        {"rename", "{\"from\": \"sales\", \"to\": \"../x\"}", null, "INVALID_ARGUMENT", "'..' segments are not allowed", null},
        {"rename", "{\"from\": \"sales\", \"to\": \".hidden\"}", null, "INVALID_ARGUMENT", "reserved", ".hidden"},
        {"rename", "{\"from\": \"sales\", \"to\": \"x.parts\"}", null, "INVALID_ARGUMENT", "reserved", "x.parts"},
        {"rename", "{\"from\": \"escape\", \"to\": \"mine\"}", null, "NOT_FOUND", "not found", "escape"},
        {"rename", "sales", "`sales` (a bare name)", "INVALID_ARGUMENT", "", null},
        {"refresh", "[1]", null, "INVALID_ARGUMENT", "", null},
    };
    for (String[] c : cases) {
      byte[] body = c[1] == null ? new byte[] {(byte) 0xff, (byte) 0xfe} : c[1].getBytes(StandardCharsets.UTF_8);
      String shown = c[2] != null ? c[2] : "`" + c[1] + "`";
      BadInput.Expectation expectation = of(g, "`" + c[0] + "` with body " + shown, "DoAction")
          .expect(io.grpc.Status.Code.valueOf(c[3]), c[4]);
      rows.add((c[5] == null ? expectation : expectation.naming(c[5])).by(() -> open.doAction(c[0], body)));
    }
    return rows;
  }
}
