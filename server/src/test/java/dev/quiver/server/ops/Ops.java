package dev.quiver.server.ops;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;
import picocli.CommandLine;

/** Helpers shared by the operations tests (TLS, health, limits, shutdown, configuration). */
final class Ops {
  private Ops() {}

  static Ticket ticket(String dataset) {
    return new Ticket(dataset.getBytes(StandardCharsets.UTF_8));
  }

  /** Reads {@code stream} to its end; returns the rows read (after the ones already counted). */
  static long drain(FlightStream stream) {
    long rows = 0;
    while (stream.next()) {
      rows += stream.getRoot().getRowCount();
    }
    return rows;
  }

  /** The code a failed arrow-java call carried. */
  static String code(Throwable error) {
    if (error instanceof FlightRuntimeException f) {
      return f.status().code().name();
    }
    return Status.fromThrowable(error).getCode().name();
  }

  static ManagedChannel plainChannel(int port) {
    return NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
  }

  /** Files (relative, sorted) under {@code dir}, hidden ones and directories included. */
  static List<String> files(Path dir) throws Exception {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(p -> !p.equals(dir)).map(p -> dir.relativize(p).toString()).sorted().toList();
    }
  }

  /** Regular files in the staging directory {@code <data>/.quiver-uploads}, if it exists. */
  static List<String> staged(Path data) throws Exception {
    Path staging = data.resolve(".quiver-uploads");
    if (!Files.isDirectory(staging)) {
      return List.of();
    }
    try (Stream<Path> walk = Files.walk(staging)) {
      return walk.filter(Files::isRegularFile).map(Path::toString).toList();
    }
  }

  /** The first message of a DoPut: descriptor {@code path} and the IPC schema message of {@code schema}. */
  static Flight.FlightData schemaMessage(Schema schema, String... path) {
    ByteBuffer header = MessageSerializer.serializeMetadata(schema, IpcOption.DEFAULT);
    return Flight.FlightData.newBuilder()
        .setFlightDescriptor(Flight.FlightDescriptor.newBuilder()
            .setType(Flight.FlightDescriptor.DescriptorType.PATH).addAllPath(List.of(path)))
        .setDataHeader(ByteString.copyFrom(header))
        .build();
  }

  // ---- the command line (Main is package-private API of dev.quiver.server) ---------------------------

  /** {@code Main.commandLine(args, environment)}. */
  static CommandLine commandLine(Map<String, String> environment, String... args) throws Exception {
    Class<?> main = Class.forName("dev.quiver.server.Main");
    Method method = main.getDeclaredMethod("commandLine", String[].class, Map.class);
    method.setAccessible(true);
    return (CommandLine) method.invoke(null, args, environment);
  }

  /** What running the command line did: exit code and everything written to stdout and stderr. */
  record Run(int exitCode, String out, String err) {}

  /**
   * Runs {@code Main.commandLine(args, environment).execute(args)}, capturing its output (picocli's
   * writers and System.out/err, where the configuration errors are printed). Only for arguments
   * that make it exit: a valid command line would start a server and wait for a signal.
   */
  static synchronized Run execute(Map<String, String> environment, String... args) throws Exception {
    PrintStream originalOut = System.out;
    PrintStream originalErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    StringWriter cliOut = new StringWriter();
    StringWriter cliErr = new StringWriter();
    int code;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      CommandLine commandLine = commandLine(environment, args);
      commandLine.setOut(new PrintWriter(cliOut, true));
      commandLine.setErr(new PrintWriter(cliErr, true));
      code = commandLine.execute(args);
    } finally {
      System.setOut(originalOut);
      System.setErr(originalErr);
    }
    return new Run(code, cliOut + out.toString(StandardCharsets.UTF_8),
        cliErr + err.toString(StandardCharsets.UTF_8));
  }
}
