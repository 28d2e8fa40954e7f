package dev.quiver.server.reliability;

import static dev.quiver.server.reliability.BadInput.of;
import static io.grpc.Status.Code.INTERNAL;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Corrupt files in the data directory ({@link CorruptFiles}), each read with DoGet: INTERNAL, naming the dataset. */
final class FileInputs {
  private FileInputs() {}

  static List<BadInput> rows(MatrixServers servers) {
    RawFlight open = servers.connect(servers.open, null);
    List<BadInput> rows = new ArrayList<>();
    for (Map.Entry<String, String> file : CorruptFiles.DESCRIPTIONS.entrySet()) {
      String name = "broken/" + file.getKey();
      rows.add(of("Corrupt files", "`" + name + "`: " + file.getValue(), "DoGet").expect(INTERNAL, "").naming(name)
          .by(() -> open.doGet(name.getBytes(StandardCharsets.UTF_8))));
    }
    return rows;
  }
}
