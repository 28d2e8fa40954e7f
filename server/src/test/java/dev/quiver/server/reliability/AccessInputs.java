package dev.quiver.server.reliability;

import static dev.quiver.server.reliability.BadInput.of;
import static dev.quiver.server.reliability.UploadMessages.path;
import static io.grpc.Status.Code.PERMISSION_DENIED;
import static io.grpc.Status.Code.RESOURCE_EXHAUSTED;
import static io.grpc.Status.Code.UNAUTHENTICATED;

import dev.quiver.server.auth.AuthFixture;
import dev.quiver.server.flight.FlightServiceDefinition;
import dev.quiver.server.ipc.ArrowFiles;
import dev.quiver.server.testing.PutCollector;
import dev.quiver.server.testing.TestServer;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.apache.arrow.flight.impl.Flight;

/**
 * Who may call, and how many at once: credentials that are missing, wrong, malformed or expired
 * (UNAUTHENTICATED), principals without the scope (PERMISSION_DENIED), and streams or uploads
 * beyond the concurrency limits (RESOURCE_EXHAUSTED).
 */
final class AccessInputs {
  private AccessInputs() {}

  static List<BadInput> rows(MatrixServers servers, UploadMessages m) {
    List<BadInput> rows = new ArrayList<>();
    authentication(rows, servers);
    permissions(rows, servers, m);
    concurrency(rows, servers, m);
    return rows;
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static String base64(String text) {
    return Base64.getEncoder().encodeToString(utf8(text));
  }

  private static void authentication(List<BadInput> rows, MatrixServers s) {
    String g = "Authentication";
    String[][] headers = {
        // header sent (null: none), as the document shows it, fragment
        {null, "no `authorization` header", "no credentials"},
        {AuthFixture.basic("alice", "not-her-password"), "`Basic` alice with a wrong password", "wrong user name or password"},
        {AuthFixture.basic("mallory", AuthFixture.ALICE_PASSWORD), "`Basic` for an unknown user", "wrong user name or password"},
        {"Basic !!!not-base64!!!", "`Basic !!!not-base64!!!`", ""},
        {"Basic " + base64("alice"), "`Basic` base64 of `alice` (no colon)", ""},
        {"Bearer qvr_not-a-real-token", "`Bearer qvr_not-a-real-token`", ""},
        {"Bearer ", "`Bearer ` (empty token)", ""},
        {"Token abc", "`Token abc` (unknown scheme)", ""},
    };
    for (String[] h : headers) {
      RawFlight connection = s.connect(s.secured, h[0]);
      rows.add(of(g, h[1], "DoGet").expect(UNAUTHENTICATED, h[2]).by(() -> connection.doGet(utf8("sales"))));
    }
    RawFlight anonymous = s.connect(s.secured, null);
    rows.add(of(g, "no `authorization` header", "ListFlights").expect(UNAUTHENTICATED, "no credentials")
        .by(() -> anonymous.listFlights(new byte[0])));
    RawFlight wrongHandshake = s.connect(s.secured, AuthFixture.basic("alice", "not-her-password"));
    rows.add(of(g, "`Basic` alice with a wrong password", "Handshake").expect(UNAUTHENTICATED, "wrong user name or password")
        .by(wrongHandshake::handshake));
    RawFlight login = s.connect(s.secured, AuthFixture.basic("reader", AuthFixture.READER_PASSWORD));
    rows.add(of(g, "a bearer token from a Handshake, used after it expired (`--token-ttl` 1 s)", "DoGet")
        .expect(UNAUTHENTICATED, "expired").by(() -> {
          String token = login.handshakeForToken();
          Thread.sleep(MatrixServers.TOKEN_TTL.toMillis() + 500);
          return s.connect(s.secured, token).doGet(utf8("sales"));
        }));
  }

  private static void permissions(List<BadInput> rows, MatrixServers s, UploadMessages m) {
    String g = "Permissions";
    RawFlight reader = s.connect(s.secured, AuthFixture.basic("reader", AuthFixture.READER_PASSWORD));
    RawFlight limited = s.connect(s.secured, AuthFixture.basic("limited", AuthFixture.LIMITED_PASSWORD));
    RawFlight alice = s.connect(s.secured, AuthFixture.basic("alice", AuthFixture.ALICE_PASSWORD));
    RawFlight uploader = s.connect(s.secured, "Bearer " + AuthFixture.UPLOADER_TOKEN);
    rows.add(of(g, "reader (scope `read`) uploads `fresh`", "DoPut").expect(PERMISSION_DENIED, "").naming("fresh")
        .by(() -> reader.doPut(m.small(path("fresh")))));
    rows.add(of(g, "limited (scope `read:sales/*`) reads `other`", "DoGet").expect(PERMISSION_DENIED, "").naming("other")
        .by(() -> limited.doGet(utf8("other"))));
    rows.add(of(g, "limited (scope `read:sales/*`) asks for the schema of `other`", "GetSchema")
        .expect(PERMISSION_DENIED, "").naming("other").by(() -> limited.getSchema(path("other"))));
    rows.add(of(g, "token uploader (scope `write:uploads/*`) uploads `other`", "DoPut").expect(PERMISSION_DENIED, "")
        .naming("other").by(() -> uploader.doPut(m.small(path("other")))));
    rows.add(of(g, "alice (scope `write:uploads/*`) deletes `other`", "DoAction").expect(PERMISSION_DENIED, "")
        .naming("other").by(() -> alice.doAction("delete", utf8("{\"dataset\": \"other\"}"))));
    rows.add(of(g, "alice renames `other` to `uploads/other` (needs write on both)", "DoAction")
        .expect(PERMISSION_DENIED, "").naming("other")
        .by(() -> alice.doAction("rename", utf8("{\"from\": \"other\", \"to\": \"uploads/other\"}"))));
    rows.add(of(g, "reader asks for `stats` (needs `admin`)", "DoAction").expect(PERMISSION_DENIED, "")
        .by(() -> reader.doAction("stats", new byte[0])));
    rows.add(of(g, "reader asks for `refresh` (needs `admin`)", "DoAction").expect(PERMISSION_DENIED, "")
        .by(() -> reader.doAction("refresh", utf8("{}"))));
  }

  private static void concurrency(List<BadInput> rows, MatrixServers s, UploadMessages m) {
    String g = "Concurrency limits";
    RawFlight holder = s.connect(s.limited, null);
    RawFlight second = s.connect(s.limited, null);
    rows.add(of(g, "a second DoGet while `--max-streams 1` is taken", "DoGet")
        .expect(RESOURCE_EXHAUSTED, "maximum of 1 concurrent").by(() -> {
          Context.CancellableContext held = holder.openStream(utf8("big"));
          try {
            return second.doGet(utf8("small"));
          } finally {
            held.cancel(null);
            TestServer.awaitTrue(() -> FlightServiceDefinition.activeDoGetStreams() == 0, "the held stream to end");
          }
        }));
    rows.add(of(g, "a second DoPut while `--max-uploads 1` is taken", "DoPut")
        .expect(RESOURCE_EXHAUSTED, "maximum of 1 concurrent").by(() -> {
          PutCollector first = new PutCollector();
          List<Flight.FlightData> opening = m.upload(path("held"), ArrowFiles.Spec.stream(1, 5)).subList(0, 1);
          StreamObserver<Flight.FlightData> held = holder.openUpload(opening, first);
          try {
            TestServer.awaitTrue(() -> {
              try {
                return s.limitedUploadStaged();
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            }, "the first upload to start");
            return second.doPut(m.small(path("second")));
          } finally {
            held.onError(Status.CANCELLED.withDescription("the matrix lets go").asRuntimeException());
            first.await();
            TestServer.awaitTrue(() -> {
              try {
                return !s.limitedUploadStaged();
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            }, "the first upload to be cleaned up");
          }
        }));
    RawFlight limited = s.connect(s.limited, null);
    rows.add(of(g, "a ticket larger than `--max-message-size` (" + MatrixServers.MAX_MESSAGE_BYTES / 1024 + " KiB)", "DoGet")
        .expect(RESOURCE_EXHAUSTED, "").by(() -> limited.doGet(new byte[MatrixServers.MAX_MESSAGE_BYTES + 1024])));
  }
}
