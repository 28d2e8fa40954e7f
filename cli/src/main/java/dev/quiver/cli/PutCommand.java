package dev.quiver.cli;

import dev.quiver.client.QuiverClient;
import dev.quiver.client.UploadOptions;
import dev.quiver.client.UploadResult;
import dev.quiver.protocol.UploadRequest.Compression;
import dev.quiver.protocol.UploadRequest.Mode;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code quiver put FILE NAME}: uploads a local Arrow IPC file (file or stream format; the library
 * tells them apart by content and sends the messages without decoding them). Prints what the
 * server stored, from its final, durable acknowledgement.
 */
@Command(name = "put", mixinStandardHelpOptions = true,
    description = "Upload a local Arrow IPC file (file or stream format) as a dataset. Nothing is stored unless"
        + " the whole upload succeeds.")
final class PutCommand extends QuiverCommand {
  @Parameters(index = "0", paramLabel = "FILE", description = "Local Arrow IPC file.")
  Path file;

  @Parameters(index = "1", paramLabel = "NAME", description = "Dataset name.")
  String name;

  @Option(names = "--mode", paramLabel = "MODE", defaultValue = "create",
      description = "create (fail if the dataset exists), overwrite (replace it) or append (add the file's batches;"
          + " the schema must match). Default: ${DEFAULT-VALUE}.")
  Mode mode;

  @Option(names = "--compression", paramLabel = "CODEC", defaultValue = "none",
      description = "Buffer compression the server stores the batches with: none, lz4 or zstd. Default: ${DEFAULT-VALUE},"
          + " which keeps serving zero-copy.")
  Compression compression;

  @Mixin
  ProgressOptions progress;

  @Override
  void run(QuiverClient client) {
    UploadOptions options = UploadOptions.defaults().withMode(mode).withCompression(compression);
    Timed<UploadResult> timed = transfer(progress, (cancellation, listener) ->
        client.upload(file, name, options.withCancellation(cancellation).withProgress(listener)));
    UploadResult result = timed.result();
    double seconds = timed.seconds();
    if (json()) {
      Json.print(out(), Json.object().put("dataset", result.dataset()).put("mode", result.mode())
          .put("batches", result.batches()).put("rows", result.rows()).put("bytes", result.bytes())
          .put("parts", result.parts()).put("seconds", seconds));
      return;
    }
    out().println("uploaded " + file + " as '" + result.dataset() + "' (" + result.mode() + "): "
        + Format.plural(result.rows(), "row", "rows") + ", " + Format.plural(result.batches(), "batch", "batches") + ", "
        + Format.bytes(result.bytes()) + " in " + Format.seconds(seconds) + "; the dataset now has "
        + Format.plural(result.parts(), "part", "parts"));
  }
}
