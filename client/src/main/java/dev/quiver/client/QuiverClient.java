package dev.quiver.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quiver.client.download.Downloader;
import dev.quiver.client.internal.Connection;
import dev.quiver.client.internal.Errors;
import dev.quiver.client.upload.FileUploader;
import dev.quiver.client.upload.ReaderUploader;
import dev.quiver.protocol.DatasetName;
import dev.quiver.protocol.ProtocolException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import org.apache.arrow.flight.Action;
import org.apache.arrow.flight.Criteria;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Result;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A connection to a Quiver server (or any Flight server following Quiver's conventions): list,
 * describe, read, download, upload, delete and rename datasets. Thread-safe: share one instance;
 * {@link #close()} it when done.
 *
 * <pre>{@code
 * try (QuiverClient quiver = QuiverClient.builder("grpc://localhost:8815").build()) {
 *   for (DatasetInfo info : quiver.list("sales/*")) {
 *     System.out.println(info.name() + " " + info.rows());
 *   }
 *   quiver.download("sales/2024", Path.of("sales-2024.arrow"), DownloadOptions.defaults());
 *   try (BatchStream batches = quiver.read(ReadRequest.of("sales/2024").withColumns("id", "total"))) {
 *     while (batches.next()) {
 *       VectorSchemaRoot root = batches.root(); // valid until the next call to next()
 *     }
 *   }
 * }
 * }</pre>
 *
 * <p>Every method throws a {@link QuiverException} subclass saying whose problem a failure is.
 * Control calls (list, describe, schema, delete, rename) carry the builder's call timeout as their
 * deadline; transfers (read, download, upload) the transfer timeout.
 */
public final class QuiverClient implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Connection connection;

  private QuiverClient(Connection connection) {
    this.connection = connection;
  }

  /**
   * Starts building a client for {@code uri}: {@code grpc://host:port} (or {@code grpc+tcp://}) for
   * plain TCP, {@code grpc+tls://host:port} for TLS.
   */
  public static Builder builder(String uri) {
    return new Builder(uri);
  }

  /** Options of a {@link QuiverClient}; {@link #build()} connects lazily (the first call dials). */
  public static final class Builder {
    private final Connection.Settings settings;

    private Builder(String uri) {
      this.settings = Connection.Settings.forUri(uri);
    }

    /** Trust the server certificates signed by the PEM certificates in {@code file} (instead of the JDK's trust store). */
    public Builder trustedCertificates(Path file) {
      settings.trustedCertificates = Objects.requireNonNull(file, "file");
      return this;
    }

    /** Present this client certificate and key (PEM) to a server that asks for one (mutual TLS). */
    public Builder clientCertificate(Path certificateChain, Path privateKey) {
      settings.clientCertificate = Objects.requireNonNull(certificateChain, "certificateChain");
      settings.clientKey = Objects.requireNonNull(privateKey, "privateKey");
      return this;
    }

    /** Send {@code authorization: Bearer <token>} (an API token) with every call. */
    public Builder bearerToken(String token) {
      settings.authorization = "Bearer " + Objects.requireNonNull(token, "token");
      return this;
    }

    /**
     * Authenticate with a user name and password (HTTP basic credentials). Before its first call
     * the client exchanges them for a bearer token with a Flight Handshake (as pyarrow's
     * {@code authenticate_basic_token} does) and sends that token from then on: the server checks a
     * password slowly by design, a token quickly. A new token is fetched when the old one is about
     * to expire or the server refuses it (it restarted). With a server that hands out no token
     * (authentication off, or a server checking basic credentials on each call) the credentials
     * themselves go with every call. A wrong password fails the first call with
     * {@link AuthenticationException}.
     */
    public Builder basicAuth(String user, String password) {
      String pair = Objects.requireNonNull(user, "user") + ":" + Objects.requireNonNull(password, "password");
      settings.authorization = "Basic "
          + java.util.Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
      return this;
    }

    /** Deadline of each control call (default 30 s). */
    public Builder callTimeout(Duration timeout) {
      settings.callTimeout = positive(timeout);
      return this;
    }

    /** Deadline of each transfer call: a read, one endpoint of a download, an upload (default 1 h). */
    public Builder transferTimeout(Duration timeout) {
      settings.transferTimeout = positive(timeout);
      return this;
    }

    /** Allocator for record batches read with {@link #read}; by default the client owns a {@code RootAllocator}. */
    public Builder allocator(BufferAllocator allocator) {
      settings.allocator = Objects.requireNonNull(allocator, "allocator");
      return this;
    }

    public QuiverClient build() {
      return new QuiverClient(Connection.open(settings));
    }

    private static Duration positive(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("a timeout must be positive, not " + timeout);
      }
      return timeout;
    }
  }

  /** Where this client connects, as given to the builder. */
  public String target() {
    return connection.target();
  }

  /**
   * The datasets whose names match {@code pattern}: empty or null for all, a prefix
   * ({@code sales/}), or a glob ({@code sales/*}, {@code **}/2024).
   */
  public List<DatasetInfo> list(String pattern) {
    byte[] criteria = pattern == null ? new byte[0] : pattern.getBytes(StandardCharsets.UTF_8);
    return call("listing datasets", () -> {
      List<DatasetInfo> out = new ArrayList<>();
      for (FlightInfo info : flight().listFlights(new Criteria(criteria), connection.callOptions())) {
        out.add(new DatasetInfo(String.join("/", info.getDescriptor().getPath()), info.getRecords(),
            info.getBytes(), info.getEndpoints().size()));
      }
      return out;
    });
  }

  /** What the server knows of dataset {@code name}: format, size, parts, columns. */
  public DatasetDescription describe(String name) {
    JsonNode d = action("describe", "describe dataset '" + name + "'", JSON.createObjectNode().put("dataset", checked(name)));
    List<ColumnDescription> columns = new ArrayList<>();
    for (JsonNode c : d.path("schema")) {
      columns.add(new ColumnDescription(c.path("name").asText(), c.path("type").asText(),
          c.path("nullable").asBoolean(), c.path("dictionary_encoded").asBoolean(false)));
    }
    return new DatasetDescription(d.path("dataset").asText(), d.path("path").asText(), d.path("format").asText(),
        d.path("parts").asInt(), d.path("rows").asLong(), d.path("batches").asLong(), d.path("bytes").asLong(),
        d.path("compression").asText(), Instant.parse(d.path("modified").asText()), columns);
  }

  /** The Arrow schema of dataset {@code name}. */
  public Schema schema(String name) {
    FlightDescriptor descriptor = descriptor(name);
    return call("schema of dataset '" + name + "'",
        () -> flight().getSchema(descriptor, connection.callOptions()).getSchema());
  }

  /**
   * Streams (part of) a dataset as record batches, decoded by arrow-java into the client's
   * allocator. Close the stream (try-with-resources) to release them.
   */
  public BatchStream read(ReadRequest request) {
    Ticket ticket = new Ticket(ticketOf(request));
    String what = "read of dataset '" + request.dataset() + "'";
    FlightStream stream = call(what, () -> flight().getStream(ticket, connection.transferOptions()));
    return new BatchStream(stream, what, connection.target());
  }

  /**
   * Downloads dataset {@code name} into the local IPC file {@code destination}: file format
   * (readable by {@code pyarrow.ipc.open_file}, {@code polars.read_ipc}), or stream format if the
   * name ends in {@code .arrows}. Endpoints are fetched in parallel and written in order; a broken
   * connection is resumed from the last complete batch. The file appears, complete and fsynced,
   * only when everything arrived; a failed download leaves nothing at {@code destination}.
   */
  public DownloadResult download(String name, Path destination, DownloadOptions options) {
    return new Downloader(connection, DatasetName.parse(checked(name)), destination, options).run();
  }

  /**
   * Uploads a local Arrow IPC file (file or stream format, detected from its content) as dataset
   * {@code name}. The file is memory-mapped and its messages sent as they are, without decoding;
   * the call returns once the server says the dataset is durable.
   */
  public UploadResult upload(Path file, String name, UploadOptions options) {
    return new FileUploader(connection, DatasetName.parse(checked(name)), file, options).run();
  }

  /**
   * Uploads every batch {@code reader} produces (an {@code ArrowFileReader}, {@code ArrowStreamReader},
   * or any other {@link ArrowReader}, dictionaries included) as dataset {@code name}. The reader
   * is read to its end but not closed.
   */
  public UploadResult upload(ArrowReader reader, String name, UploadOptions options) {
    return new ReaderUploader(connection, DatasetName.parse(checked(name)), options).upload(reader);
  }

  /**
   * Uploads {@code batches}, each a {@link VectorSchemaRoot} with schema {@code schema}, as dataset
   * {@code name}. Roots are read, not closed: the caller owns them. For dictionary-encoded columns
   * use {@link #upload(ArrowReader, String, UploadOptions)}, which carries the dictionaries.
   */
  public UploadResult upload(Schema schema, Iterator<VectorSchemaRoot> batches, String name, UploadOptions options) {
    return new ReaderUploader(connection, DatasetName.parse(checked(name)), options).upload(schema, batches);
  }

  /** Deletes dataset {@code name}; streams already reading it finish normally. */
  public void delete(String name) {
    action("delete", "delete of dataset '" + name + "'", JSON.createObjectNode().put("dataset", checked(name)));
  }

  /** Renames dataset {@code from} to {@code to}; an existing {@code to} is replaced only if {@code overwrite}. */
  public void rename(String from, String to, boolean overwrite) {
    action("rename", "rename of dataset '" + from + "' to '" + to + "'",
        JSON.createObjectNode().put("from", checked(from)).put("to", checked(to)).put("overwrite", overwrite));
  }

  /** Closes the connection; streams still open fail. */
  @Override
  public void close() {
    connection.close();
  }

  // ---- helpers -------------------------------------------------------------------------------------

  private FlightClient flight() {
    return connection.flight();
  }

  private JsonNode action(String type, String what, ObjectNode body) {
    return call(what, () -> {
      Iterator<Result> results = flight().doAction(new Action(type, JSON.writeValueAsBytes(body)),
          connection.callOptions());
      if (!results.hasNext()) {
        throw new ServerException("INTERNAL", what + " failed: the server sent no result", null);
      }
      JsonNode result = JSON.readTree(results.next().getBody());
      results.forEachRemaining(r -> { });
      return result;
    });
  }

  private interface Call<T> {
    T run() throws IOException;
  }

  private <T> T call(String what, Call<T> call) {
    try {
      return call.run();
    } catch (IOException e) {
      throw new ServerException("INTERNAL", what + " failed: the server's answer is not valid JSON: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      throw Errors.translate(e, what, connection.target());
    }
  }

  /** Checks a dataset name before it is sent, so a typo fails with the reason, not a server round trip. */
  private static String checked(String name) {
    if (name == null) {
      throw new InvalidRequestException("a dataset name is required", null);
    }
    try {
      return DatasetName.parse(name).toString();
    } catch (ProtocolException e) {
      String message = e.getMessage();
      throw new InvalidRequestException(message.contains(name) && !name.isEmpty() ? message
          : "invalid dataset name '" + name + "': " + message, e);
    }
  }

  private static FlightDescriptor descriptor(String name) {
    return FlightDescriptor.path(DatasetName.parse(checked(name)).segments());
  }

  private static byte[] ticketOf(ReadRequest request) {
    try {
      return request.toTicket().toBytes();
    } catch (ProtocolException e) {
      throw new InvalidRequestException("invalid read request: " + e.getMessage(), e);
    }
  }
}
