package dev.supportability.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.supportability.v1.SupportCase;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The service's google.rpc.Status errors become typed exceptions. */
class ErrorsTest {
  private static final SupportCase CASE = SupportCase.newBuilder().setCaseId("case-1").build();

  private FakeServer server;
  private SupportabilityClient client;

  @BeforeEach
  void start() throws Exception {
    server = new FakeServer();
    client = server.client().build();
  }

  @AfterEach
  void stop() throws Exception {
    client.close();
    server.close();
  }

  @Test
  void invalidCaseCarriesFieldViolationsReasonAndRequestId() {
    server.predict =
        request -> {
          throw FakeServer.error(
              Status.Code.INVALID_ARGUMENT,
              "INVALID_CASE",
              "server-side-id",
              FakeServer.violations(
                  "support_case.account.disputes_30d", "must not be negative",
                  "support_case.channel", "is required"));
        };

    InvalidRequestException e =
        assertThrows(InvalidRequestException.class, () -> client.predictCase(CASE));

    assertInstanceOf(CallerErrorException.class, e);
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatusCode());
    assertEquals("INVALID_CASE", e.getReason());
    assertEquals("supportability.dev", e.getDetails().domain());
    assertEquals("server-side-id", e.getRequestId());
    assertEquals(
        List.of(
            new FieldViolation("support_case.account.disputes_30d", "must not be negative"),
            new FieldViolation("support_case.channel", "is required")),
        e.getFieldViolations());
    assertFalse(e.isRetryable());
    assertEquals(
        "INVALID_ARGUMENT: invalid_case happened (reason INVALID_CASE, request id server-side-id)",
        e.getMessage());
  }

  @Test
  void overloadCarriesTheRetryDelayAndIsNotRetried() {
    server.predict =
        request -> {
          throw FakeServer.error(
              Status.Code.RESOURCE_EXHAUSTED,
              "OVERLOADED",
              request.getRequestId(),
              FakeServer.retryAfter(250));
        };

    OverloadedException e = assertThrows(OverloadedException.class, () -> client.predictCase(CASE));

    assertInstanceOf(ServiceErrorException.class, e);
    assertEquals(Optional.of(Duration.ofMillis(250)), e.getRetryDelay());
    assertEquals("OVERLOADED", e.getReason());
    assertTrue(e.isRetryable());
    assertEquals(1, server.attempts.get());
  }

  @Test
  void unauthenticatedIsAnAuthenticationError() {
    server.predict =
        request -> {
          throw FakeServer.error(
              Status.Code.UNAUTHENTICATED, "UNAUTHENTICATED", request.getRequestId());
        };

    AuthenticationException e =
        assertThrows(AuthenticationException.class, () -> client.predictCase(CASE));

    assertInstanceOf(CallerErrorException.class, e);
    assertEquals("UNAUTHENTICATED", e.getReason());
  }

  @Test
  void unknownModelVersionIsNotFound() {
    server.getModel =
        request -> {
          throw FakeServer.error(Status.Code.NOT_FOUND, "MODEL_VERSION_NOT_FOUND", "");
        };

    NotFoundException e = assertThrows(NotFoundException.class, () -> client.getModel("v999"));

    assertEquals("MODEL_VERSION_NOT_FOUND", e.getReason());
  }

  @Test
  void unavailableWithoutDetailsKeepsTheSentRequestId() {
    server.predict =
        request -> {
          throw Status.UNAVAILABLE.withDescription("model not loaded").asRuntimeException();
        };

    UnavailableException e =
        assertThrows(
            UnavailableException.class,
            () -> client.predictCase(CASE, RequestOptions.builder().requestId("mine").build()));

    assertEquals("mine", e.getRequestId());
    assertEquals("", e.getReason());
    assertTrue(e.getMessage().startsWith("UNAVAILABLE: model not loaded"), e.getMessage());
  }

  @Test
  void internalErrorIsTheServicesFault() {
    server.predict =
        request -> {
          throw Status.INTERNAL.withDescription("boom").asRuntimeException();
        };

    ServiceErrorException e =
        assertThrows(ServiceErrorException.class, () -> client.predictCase(CASE));

    assertEquals(Status.Code.INTERNAL, e.getStatusCode());
    assertFalse(e.isRetryable());
  }
}
