package dev.quiver.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.client.AuthenticationException;
import dev.quiver.client.DatasetExistsException;
import dev.quiver.client.DatasetNotFoundException;
import dev.quiver.client.InvalidRequestException;
import dev.quiver.client.LocalIoException;
import dev.quiver.client.NetworkException;
import dev.quiver.client.QuiverException;
import dev.quiver.client.ServerException;
import dev.quiver.client.TransferCancelledException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.stream.Stream;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.FlightRuntimeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class ErrorsTest {
  private static final String WHAT = "download of dataset 'sales'";
  private static final String TARGET = "grpc://db.example:8815";

  static Stream<Arguments> grpcCodes() {
    return Stream.of(
        Arguments.of(Status.Code.NOT_FOUND, DatasetNotFoundException.class),
        Arguments.of(Status.Code.ALREADY_EXISTS, DatasetExistsException.class),
        Arguments.of(Status.Code.INVALID_ARGUMENT, InvalidRequestException.class),
        Arguments.of(Status.Code.UNIMPLEMENTED, InvalidRequestException.class),
        Arguments.of(Status.Code.UNAUTHENTICATED, AuthenticationException.class),
        Arguments.of(Status.Code.PERMISSION_DENIED, AuthenticationException.class),
        Arguments.of(Status.Code.UNAVAILABLE, NetworkException.class),
        Arguments.of(Status.Code.DEADLINE_EXCEEDED, NetworkException.class),
        Arguments.of(Status.Code.CANCELLED, TransferCancelledException.class),
        Arguments.of(Status.Code.INTERNAL, ServerException.class),
        Arguments.of(Status.Code.RESOURCE_EXHAUSTED, ServerException.class),
        Arguments.of(Status.Code.FAILED_PRECONDITION, ServerException.class),
        Arguments.of(Status.Code.UNKNOWN, ServerException.class),
        Arguments.of(Status.Code.DATA_LOSS, ServerException.class),
        Arguments.of(Status.Code.ABORTED, ServerException.class),
        Arguments.of(Status.Code.OUT_OF_RANGE, ServerException.class));
  }

  @ParameterizedTest
  @MethodSource("grpcCodes")
  void grpcStatusesMapToTheClientsExceptions(Status.Code code, Class<? extends QuiverException> type) {
    StatusRuntimeException error = code.toStatus().withDescription("the detail").asRuntimeException();
    QuiverException translated = Errors.translate(error, WHAT, TARGET);

    assertThat(translated).isInstanceOf(type).hasCause(error).hasMessageContaining(WHAT);
    if (type != TransferCancelledException.class) {
      assertThat(translated).hasMessageContaining("the detail");
    }
    if (translated instanceof ServerException server) {
      assertThat(server.status()).isEqualTo(code.name());
    }
  }

  @Test
  void hintsSayWhatToCheck() {
    assertThat(translate(Status.Code.UNAVAILABLE)).hasMessageContaining(TARGET).hasMessageContaining("running");
    assertThat(translate(Status.Code.DEADLINE_EXCEEDED)).hasMessageContaining("deadline");
    assertThat(translate(Status.Code.UNAUTHENTICATED)).hasMessageContaining("token");
    assertThat(translate(Status.Code.PERMISSION_DENIED)).hasMessageContaining("do not allow");
    assertThat(translate(Status.Code.CANCELLED)).hasMessage(WHAT + " was cancelled");
  }

  private static QuiverException translate(Status.Code code) {
    return Errors.translate(code.toStatus().withDescription("x").asRuntimeException(), WHAT, TARGET);
  }

  static Stream<Arguments> flightCodes() {
    return Stream.of(
        Arguments.of(CallStatus.NOT_FOUND, DatasetNotFoundException.class),
        Arguments.of(CallStatus.ALREADY_EXISTS, DatasetExistsException.class),
        Arguments.of(CallStatus.INVALID_ARGUMENT, InvalidRequestException.class),
        Arguments.of(CallStatus.UNIMPLEMENTED, InvalidRequestException.class),
        Arguments.of(CallStatus.UNAUTHENTICATED, AuthenticationException.class),
        Arguments.of(CallStatus.UNAUTHORIZED, AuthenticationException.class),
        Arguments.of(CallStatus.UNAVAILABLE, NetworkException.class),
        Arguments.of(CallStatus.TIMED_OUT, NetworkException.class),
        Arguments.of(CallStatus.CANCELLED, TransferCancelledException.class),
        Arguments.of(CallStatus.INTERNAL, ServerException.class),
        Arguments.of(CallStatus.RESOURCE_EXHAUSTED, ServerException.class),
        Arguments.of(CallStatus.UNKNOWN, ServerException.class));
  }

  @ParameterizedTest
  @MethodSource("flightCodes")
  void flightStatusesMapToTheClientsExceptions(CallStatus status, Class<? extends QuiverException> type) {
    FlightRuntimeException error = status.withDescription("flight detail").toRuntimeException();
    QuiverException translated = Errors.translate(error, WHAT, TARGET);
    assertThat(translated).isInstanceOf(type).hasCause(error).hasMessageContaining(WHAT);
    if (translated instanceof ServerException server) {
      assertThat(server.status()).isEqualTo(status.code().name());
      assertThat(server).hasMessageContaining("flight detail");
    }
  }

  @Test
  void aQuiverExceptionPassesThroughUnchanged() {
    LocalIoException local = new LocalIoException("disk full", null);
    assertThat(Errors.translate(local, WHAT, TARGET)).isSameAs(local);
  }

  @Test
  void anyOtherErrorIsAServerErrorWithItsMessage() {
    QuiverException translated = Errors.translate(new IllegalStateException("boom"), WHAT, TARGET);
    assertThat(translated).isExactlyInstanceOf(ServerException.class).hasMessage(WHAT + " failed: boom");
    assertThat(((ServerException) translated).status()).isEqualTo("UNKNOWN");
  }

  @Test
  void aStatusWithoutDescriptionFallsBackToTheExceptionMessage() {
    StatusRuntimeException error = Status.NOT_FOUND.asRuntimeException();
    assertThat(Errors.translate(error, WHAT, TARGET)).hasMessage(WHAT + " failed: " + error.getMessage());
  }

  @ParameterizedTest
  @EnumSource(Status.Code.class)
  void onlyConnectionFailuresAreWorthResuming(Status.Code code) {
    boolean expected = code == Status.Code.UNAVAILABLE || code == Status.Code.INTERNAL || code == Status.Code.UNKNOWN;
    assertThat(Errors.isTransient(code.toStatus().asRuntimeException())).isEqualTo(expected);
  }

  @Test
  void flightFailuresAreClassifiedToo() {
    assertThat(Errors.isTransient(CallStatus.UNAVAILABLE.toRuntimeException())).isTrue();
    assertThat(Errors.isTransient(CallStatus.NOT_FOUND.toRuntimeException())).isFalse();
    assertThat(Errors.isTransient(CallStatus.CANCELLED.toRuntimeException())).isFalse();
  }
}
