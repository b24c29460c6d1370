package dev.supportability.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.supportability.v1.PredictCaseRequest;
import dev.supportability.v1.PredictCaseResponse;
import dev.supportability.v1.SupportCase;
import io.grpc.Status;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The contract's retry policy: UNAVAILABLE only, up to 4 attempts, and a switch to turn it off. */
class RetriesTest {
  private static final SupportCase CASE = SupportCase.newBuilder().setCaseId("case-1").build();

  private FakeServer server;

  @BeforeEach
  void start() throws Exception {
    server = new FakeServer();
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
  }

  /** Fails the first {@code failures} attempts with {@code code}, then answers. */
  private static Function<PredictCaseRequest, PredictCaseResponse> failing(
      FakeServer server, int failures, Status.Code code) {
    return request -> {
      if (server.attempts.get() <= failures) {
        throw FakeServer.error(code, "MODEL_NOT_LOADED", request.getRequestId());
      }
      return FakeServer.echo(request);
    };
  }

  @Test
  void unavailableIsRetriedUntilItSucceeds() {
    server.predict = failing(server, 2, Status.Code.UNAVAILABLE);
    try (SupportabilityClient client = server.client().build()) {
      assertEquals("case-1", client.predictCase(CASE).getPrediction().getCaseId());
    }
    assertEquals(3, server.attempts.get());
  }

  @Test
  void retriesStopAfterFourAttempts() {
    server.predict = failing(server, 100, Status.Code.UNAVAILABLE);
    try (SupportabilityClient client = server.client().build()) {
      UnavailableException e =
          assertThrows(UnavailableException.class, () -> client.predictCase(CASE));
      assertEquals("MODEL_NOT_LOADED", e.getReason());
    }
    assertEquals(4, server.attempts.get());
  }

  @Test
  void maxRetryAttemptsCapsThePolicy() {
    server.predict = failing(server, 100, Status.Code.UNAVAILABLE);
    try (SupportabilityClient client = server.client().maxRetryAttempts(2).build()) {
      assertThrows(UnavailableException.class, () -> client.predictCase(CASE));
    }
    assertEquals(2, server.attempts.get());
  }

  @Test
  void otherErrorsAreNotRetried() {
    server.predict = failing(server, 100, Status.Code.INTERNAL);
    try (SupportabilityClient client = server.client().build()) {
      assertThrows(ServiceErrorException.class, () -> client.predictCase(CASE));
    }
    assertEquals(1, server.attempts.get());
  }

  @Test
  void retriesCanBeTurnedOff() {
    server.predict = failing(server, 1, Status.Code.UNAVAILABLE);
    try (SupportabilityClient client = server.client().retries(false).build()) {
      assertThrows(UnavailableException.class, () -> client.predictCase(CASE));
    }
    assertEquals(1, server.attempts.get());
  }
}
