package dev.quiver.cli;

import dev.quiver.client.DestinationExistsException;
import dev.quiver.client.DownloadOptions;
import dev.quiver.client.DownloadResult;
import dev.quiver.client.QuiverClient;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code quiver get NAME FILE}: downloads a dataset into a local Arrow IPC file. The client library
 * does the work (parallel endpoints, resume after a broken connection, the file appearing only
 * when complete); this class wires in the options, the progress bar and Ctrl-C, and prints a
 * summary.
 */
@Command(name = "get", mixinStandardHelpOptions = true,
    description = {"Download a dataset into a local Arrow IPC file: file format, or stream format if FILE ends"
        + " in .arrows. The file appears only once complete; a failed or interrupted download leaves nothing."})
final class GetCommand extends QuiverCommand {
  @Parameters(index = "0", paramLabel = "NAME", description = "Dataset name.")
  String name;

  @Parameters(index = "1", paramLabel = "FILE", description = "Local file to write.")
  Path file;

  @Option(names = "--parallel", paramLabel = "N", defaultValue = "4",
      description = "Endpoints (batch ranges) fetched at the same time (default: ${DEFAULT-VALUE}).")
  int parallel;

  @Option(names = "--overwrite", description = "Replace FILE if it exists.")
  boolean overwrite;

  @Mixin
  ProgressOptions progress;

  @Override
  void run(QuiverClient client) {
    DownloadOptions options = DownloadOptions.defaults().withParallelism(parallel).withOverwrite(overwrite);
    Timed<DownloadResult> timed;
    try {
      timed = transfer(progress, (cancellation, listener) ->
          client.download(name, file, options.withCancellation(cancellation).withProgress(listener)));
    } catch (DestinationExistsException e) {
      throw new DestinationExistsException(file + " already exists; pass --overwrite to replace it", e);
    }
    DownloadResult result = timed.result();
    double seconds = timed.seconds();
    if (json()) {
      Json.print(out(), Json.object().put("dataset", name).put("file", result.file().toString())
          .put("rows", result.rows()).put("batches", result.batches()).put("bytes", result.bytes())
          .put("seconds", seconds).put("resumes", result.resumes()));
      return;
    }
    out().println("downloaded '" + name + "' to " + result.file() + ": " + Format.plural(result.rows(), "row", "rows")
        + ", " + Format.plural(result.batches(), "batch", "batches") + ", " + Format.bytes(result.bytes()) + " in "
        + Format.seconds(seconds) + " (" + Format.rate(result.bytes(), seconds) + "), "
        + Format.plural(result.resumes(), "resume", "resumes"));
  }
}
