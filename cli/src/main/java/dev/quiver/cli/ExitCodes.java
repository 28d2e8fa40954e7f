package dev.quiver.cli;

import dev.quiver.client.AuthenticationException;
import dev.quiver.client.DatasetExistsException;
import dev.quiver.client.DatasetNotFoundException;
import dev.quiver.client.InvalidRequestException;
import dev.quiver.client.LocalIoException;
import dev.quiver.client.NetworkException;
import dev.quiver.client.ServerException;
import dev.quiver.client.TransferCancelledException;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;

/**
 * The exit status of {@code quiver}, one per kind of failure, so scripts can tell "retry later"
 * (network, server) from "fix the command" (usage, not found) without parsing messages. The codes
 * follow the client library's exception hierarchy, which already says whose problem a failure is.
 */
public final class ExitCodes {
  public static final int OK = 0;
  /** Anything the other codes do not cover: a bug in quiver or the libraries under it. */
  public static final int INTERNAL = 1;
  /** Bad command line, invalid dataset name, malformed server address, request the server refused as invalid. */
  public static final int USAGE = 2;
  public static final int NOT_FOUND = 3;
  public static final int EXISTS = 4;
  /** Missing or wrong credentials, or credentials that do not allow the call. */
  public static final int AUTH = 5;
  /** The server failed or refused for its own reasons (internal error, out of disk, limits). */
  public static final int SERVER = 6;
  /** Server unreachable, connection broken, deadline exceeded. */
  public static final int NETWORK = 7;
  /** Reading or writing a local file failed (missing directory, existing file, not an Arrow file). */
  public static final int LOCAL_IO = 8;
  /** Interrupted (Ctrl-C): 128 + SIGINT, what shells report for an interrupted command. */
  public static final int CANCELLED = 130;

  private ExitCodes() {}

  /** The exit code for a failure. */
  public static int of(Throwable error) {
    if (error instanceof CommandLine.ParameterException || error instanceof InvalidRequestException
        || error instanceof IllegalArgumentException) {
      return USAGE;
    }
    if (error instanceof DatasetNotFoundException) {
      return NOT_FOUND;
    }
    if (error instanceof DatasetExistsException) {
      return EXISTS;
    }
    if (error instanceof AuthenticationException) {
      return AUTH;
    }
    if (error instanceof ServerException) {
      return SERVER;
    }
    if (error instanceof NetworkException) {
      return NETWORK;
    }
    if (error instanceof LocalIoException) {
      return LOCAL_IO;
    }
    if (error instanceof TransferCancelledException) {
      return CANCELLED;
    }
    return INTERNAL;
  }

  /** The {@code kind} of a JSON error object: a stable word per exit code. */
  public static String kind(int code) {
    return switch (code) {
      case USAGE -> "usage";
      case NOT_FOUND -> "not_found";
      case EXISTS -> "exists";
      case AUTH -> "authentication";
      case SERVER -> "server";
      case NETWORK -> "network";
      case LOCAL_IO -> "local_io";
      case CANCELLED -> "cancelled";
      default -> "internal";
    };
  }

  /** The table shown at the end of every command's {@code --help}. */
  static Map<String, String> helpList() {
    Map<String, String> list = new LinkedHashMap<>();
    list.put(OK + "", "success");
    list.put(INTERNAL + "", "unexpected error (a bug; please report it)");
    list.put(USAGE + "", "usage error: bad option, dataset name or server address; invalid request");
    list.put(NOT_FOUND + "", "dataset not found");
    list.put(EXISTS + "", "dataset already exists (see --mode, --overwrite)");
    list.put(AUTH + "", "authentication failed or permission denied");
    list.put(SERVER + "", "the server failed or refused (internal error, limits, disk)");
    list.put(NETWORK + "", "network: server unreachable, connection lost, timeout");
    list.put(LOCAL_IO + "", "local file error (missing directory, file exists, not an Arrow file)");
    list.put(CANCELLED + "", "cancelled (Ctrl-C); no partial file or dataset is left behind");
    return list;
  }
}
