package dev.supportability.client;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.supportability.v1.BatchRecordOutcomesRequest;
import dev.supportability.v1.BatchRecordOutcomesResponse;
import dev.supportability.v1.GetPredictionRecordRequest;
import dev.supportability.v1.GetPredictionRecordResponse;
import dev.supportability.v1.Outcome;
import dev.supportability.v1.RecordOutcomeRequest;
import dev.supportability.v1.RecordOutcomeResponse;
import dev.supportability.v1.RecordedOutcome;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The OutcomeService calls against a fake service on the in-process transport. */
class OutcomeCallsTest {
  private static final Outcome OUTCOME =
      Outcome.newBuilder()
          .setPredictionId("pred-1")
          .setResolvedQueue("payouts")
          .setEscalated(false)
          .build();

  private FakeServer server;

  @BeforeEach
  void startServer() throws Exception {
    server = new FakeServer();
  }

  @AfterEach
  void stopServer() throws Exception {
    server.close();
  }

  // ---- the calls ----

  @Test
  void recordOutcomeSendsTheOutcomeAndGeneratesARequestId() {
    try (SupportabilityClient client = server.client().build()) {
      RecordOutcomeResponse response = client.recordOutcome(OUTCOME);

      RecordOutcomeRequest sent = server.recordRequests.remove();
      assertEquals(OUTCOME, sent.getOutcome());
      assertEquals(sent.getRequestId(), UUID.fromString(sent.getRequestId()).toString());
      assertEquals(sent.getRequestId(), response.getRequestId());
      assertEquals("pred-1", response.getRecordedOutcome().getPredictionId());
      assertEquals("payouts", response.getRecordedOutcome().getOutcome().getResolvedQueue());
    }
  }

  @Test
  void recordOutcomeRequestIdComesFromTheOptionsThenTheRequest() {
    try (SupportabilityClient client = server.client().build()) {
      RecordOutcomeRequest request =
          RecordOutcomeRequest.newBuilder()
              .setOutcome(OUTCOME)
              .setRequestId("from-request")
              .build();
      client.recordOutcome(request);
      client.recordOutcome(request, RequestOptions.builder().requestId("from-options").build());
      client.recordOutcome(OUTCOME, RequestOptions.builder().requestId("outcome-options").build());

      assertEquals("from-request", server.recordRequests.remove().getRequestId());
      assertEquals("from-options", server.recordRequests.remove().getRequestId());
      assertEquals("outcome-options", server.recordRequests.remove().getRequestId());
    }
  }

  @Test
  void recordOutcomeAsyncCompletesAndFailsWithTypedErrors() throws Exception {
    try (SupportabilityClient client = server.client().build()) {
      RecordOutcomeResponse response =
          client
              .recordOutcomeAsync(OUTCOME, RequestOptions.builder().requestId("async-1").build())
              .get(5, TimeUnit.SECONDS);
      assertEquals("async-1", response.getRequestId());
      assertEquals("pred-1", response.getRecordedOutcome().getPredictionId());

      server.recordOutcome =
          request -> {
            throw FakeServer.error(
                Status.Code.FAILED_PRECONDITION, "OUTCOME_CONFLICT", request.getRequestId());
          };
      CompletableFuture<RecordOutcomeResponse> failed =
          client.recordOutcomeAsync(OUTCOME, RequestOptions.builder().requestId("async-2").build());
      ExecutionException e =
          assertThrows(ExecutionException.class, () -> failed.get(5, TimeUnit.SECONDS));
      ConflictException conflict = assertInstanceOf(ConflictException.class, e.getCause());
      assertEquals("async-2", conflict.getRequestId());
      assertEquals(
          List.of("async-1", "async-2"),
          server.recordRequests.stream().map(RecordOutcomeRequest::getRequestId).toList());
    }
  }

  @Test
  void batchRecordOutcomesKeepsOrderAndGeneratesARequestId() throws Exception {
    List<Outcome> outcomes =
        List.of(OUTCOME, Outcome.newBuilder().setCaseId("case-2").setCsatScore(5).build());
    try (SupportabilityClient client = server.client().build()) {
      BatchRecordOutcomesResponse response = client.batchRecordOutcomes(outcomes);

      assertEquals(
          List.of("pred-1", "pred-of-case-2"),
          response.getRecordedOutcomesList().stream()
              .map(RecordedOutcome::getPredictionId)
              .toList());
      assertDoesNotThrow(() -> UUID.fromString(response.getRequestId()));
      assertEquals(outcomes, server.batchRecordRequests.remove().getOutcomesList());

      client.batchRecordOutcomes(outcomes, RequestOptions.builder().requestId("batch-7").build());
      assertEquals("batch-7", server.batchRecordRequests.remove().getRequestId());

      BatchRecordOutcomesResponse async =
          client
              .batchRecordOutcomesAsync(
                  BatchRecordOutcomesRequest.newBuilder()
                      .addAllOutcomes(outcomes)
                      .setRequestId("batch-8")
                      .build(),
                  RequestOptions.defaults())
              .get(5, TimeUnit.SECONDS);
      assertEquals("batch-8", async.getRequestId());
      assertEquals(2, async.getRecordedOutcomesCount());
      assertEquals(
          2,
          client
              .batchRecordOutcomesAsync(outcomes)
              .get(5, TimeUnit.SECONDS)
              .getRecordedOutcomesCount());
    }
  }

  @Test
  void getPredictionRecordByPredictionIdOrCaseId() throws Exception {
    try (SupportabilityClient client = server.client().build()) {
      GetPredictionRecordResponse byId = client.getPredictionRecordByPredictionId("pred-9");
      GetPredictionRecordResponse byCase = client.getPredictionRecordByCaseId("case-9");
      GetPredictionRecordResponse async =
          client
              .getPredictionRecordAsync(
                  GetPredictionRecordRequest.newBuilder().setCaseId("case-10").build(),
                  RequestOptions.defaults())
              .get(5, TimeUnit.SECONDS);

      GetPredictionRecordRequest first = server.recordLookups.remove();
      assertTrue(first.hasPredictionId());
      assertEquals("pred-9", first.getPredictionId());
      GetPredictionRecordRequest second = server.recordLookups.remove();
      assertTrue(second.hasCaseId());
      assertEquals("case-9", second.getCaseId());
      assertEquals("pred-9", byId.getPredictionRecord().getPrediction().getPredictionId());
      assertEquals("case-9", byCase.getPredictionRecord().getPrediction().getCaseId());
      assertEquals("case-10", async.getPredictionRecord().getPrediction().getCaseId());
    }
  }

  @Test
  void everyOutcomeCallHasADeadline() {
    try (SupportabilityClient client = server.client().build()) {
      client.recordOutcome(OUTCOME);
      client.batchRecordOutcomes(List.of(OUTCOME));
      client.getPredictionRecordByPredictionId("pred-1");
      client.getPredictionRecord(
          GetPredictionRecordRequest.newBuilder().setPredictionId("pred-1").build(),
          RequestOptions.builder().deadline(Duration.ofSeconds(30)).build());
    }
    List<Long> remaining = List.copyOf(server.deadlinesMillis);
    assertEquals(4, remaining.size());
    for (long ms : remaining.subList(0, 3)) {
      // Loose below: a loaded machine can take a while to deliver the first call.
      assertTrue(ms > 3_000 && ms <= 5_000, "remaining ms: " + ms);
    }
    assertTrue(remaining.get(3) > 25_000, "remaining ms: " + remaining.get(3));
  }

  @Test
  void deadlinePassingThrowsDeadlineExceeded() {
    server.recordOutcome = request -> null; // never answers
    try (SupportabilityClient client =
        server.client().defaultDeadline(Duration.ofMillis(200)).build()) {
      DeadlineExceededException e =
          assertThrows(DeadlineExceededException.class, () -> client.recordOutcome(OUTCOME));

      assertEquals(server.recordRequests.remove().getRequestId(), e.getRequestId());
    }
  }

  @Test
  void listenerHearsOfEveryOutcomeCall() {
    List<CallListener.CallInfo> calls = new CopyOnWriteArrayList<>();
    try (SupportabilityClient client = server.client().callListener(calls::add).build()) {
      client.recordOutcome(OUTCOME, RequestOptions.builder().requestId("req-1").build());
      client.batchRecordOutcomes(
          List.of(OUTCOME), RequestOptions.builder().requestId("req-2").build());
      client.getPredictionRecordByCaseId("case-1");
    }

    assertEquals(
        List.of(
            "supportability.v1.OutcomeService/RecordOutcome",
            "supportability.v1.OutcomeService/BatchRecordOutcomes",
            "supportability.v1.OutcomeService/GetPredictionRecord"),
        calls.stream().map(CallListener.CallInfo::method).toList());
    assertEquals(
        List.of("req-1", "req-2", ""),
        calls.stream().map(CallListener.CallInfo::requestId).toList());
    assertTrue(calls.stream().allMatch(call -> call.statusCode() == Status.Code.OK));
  }

  // ---- the errors ----

  @Test
  void outcomeConflictIsAConflictNamingTheField() {
    server.recordOutcome =
        request -> {
          throw FakeServer.error(
              Status.Code.FAILED_PRECONDITION,
              "OUTCOME_CONFLICT",
              Map.of("request_id", "server-side-id", "field", "resolved_queue"));
        };
    try (SupportabilityClient client = server.client().build()) {
      ConflictException e =
          assertThrows(ConflictException.class, () -> client.recordOutcome(OUTCOME));

      assertInstanceOf(CallerErrorException.class, e);
      assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatusCode());
      assertEquals("OUTCOME_CONFLICT", e.getReason());
      assertEquals("server-side-id", e.getRequestId());
      assertEquals(Optional.of("resolved_queue"), e.getField());
      assertFalse(e.isRetryable());
      assertEquals(1, server.attempts.get()); // not retried
      assertTrue(e.getMessage().startsWith("FAILED_PRECONDITION: "), e.getMessage());
    }
  }

  @Test
  void conflictWithoutAFieldHasNone() {
    server.batchRecordOutcomes =
        request -> {
          throw FakeServer.error(
              Status.Code.FAILED_PRECONDITION, "OUTCOME_CONFLICT", request.getRequestId());
        };
    try (SupportabilityClient client = server.client().build()) {
      ConflictException e =
          assertThrows(ConflictException.class, () -> client.batchRecordOutcomes(List.of(OUTCOME)));

      assertEquals(Optional.empty(), e.getField());
      assertEquals(server.batchRecordRequests.remove().getRequestId(), e.getRequestId());
    }
  }

  @Test
  void unknownPredictionIsNotFound() {
    server.recordOutcome =
        request -> {
          throw FakeServer.error(
              Status.Code.NOT_FOUND, "PREDICTION_NOT_FOUND", request.getRequestId());
        };
    server.getPredictionRecord =
        request -> {
          throw FakeServer.error(Status.Code.NOT_FOUND, "PREDICTION_NOT_FOUND", "");
        };
    try (SupportabilityClient client = server.client().build()) {
      NotFoundException recording =
          assertThrows(
              NotFoundException.class,
              () ->
                  client.recordOutcome(
                      OUTCOME, RequestOptions.builder().requestId("nf-1").build()));
      NotFoundException lookup =
          assertThrows(
              NotFoundException.class, () -> client.getPredictionRecordByPredictionId("nope"));

      assertEquals("PREDICTION_NOT_FOUND", recording.getReason());
      assertEquals("nf-1", recording.getRequestId());
      assertInstanceOf(CallerErrorException.class, recording);
      assertEquals("PREDICTION_NOT_FOUND", lookup.getReason());
      assertEquals(2, server.attempts.get()); // one attempt each: NOT_FOUND is not retried
    }
  }

  @Test
  void invalidOutcomeCarriesItsFieldViolations() {
    server.batchRecordOutcomes =
        request -> {
          throw FakeServer.error(
              Status.Code.INVALID_ARGUMENT,
              "INVALID_OUTCOME",
              request.getRequestId(),
              FakeServer.violations(
                  "outcomes[1].csat_score", "must be 1-5",
                  "outcomes[1].resolution_hours", "must not be negative"));
        };
    try (SupportabilityClient client = server.client().build()) {
      InvalidRequestException e =
          assertThrows(
              InvalidRequestException.class,
              () -> client.batchRecordOutcomes(List.of(OUTCOME, OUTCOME)));

      assertEquals("INVALID_OUTCOME", e.getReason());
      assertEquals(
          List.of(
              new FieldViolation("outcomes[1].csat_score", "must be 1-5"),
              new FieldViolation("outcomes[1].resolution_hours", "must not be negative")),
          e.getFieldViolations());
      assertEquals(server.batchRecordRequests.remove().getRequestId(), e.getRequestId());
    }
  }

  @Test
  void storeUnavailableIsRetriedWithTheSameRequestId() {
    server.recordOutcome =
        request -> {
          if (server.attempts.get() <= 2) {
            throw FakeServer.error(
                Status.Code.UNAVAILABLE, "STORE_UNAVAILABLE", request.getRequestId());
          }
          return RecordOutcomeResponse.newBuilder()
              .setRecordedOutcome(FakeServer.recorded(request.getOutcome()))
              .setRequestId(request.getRequestId())
              .build();
        };
    try (SupportabilityClient client = server.client().build()) {
      RecordOutcomeResponse response = client.recordOutcome(OUTCOME);

      assertEquals(3, server.attempts.get());
      List<String> ids =
          server.recordRequests.stream().map(RecordOutcomeRequest::getRequestId).toList();
      assertEquals(
          List.of(response.getRequestId(), response.getRequestId(), response.getRequestId()), ids);
    }
  }

  @Test
  void storeUnavailableAfterTheRetriesIsUnavailableAndRetryable() {
    server.batchRecordOutcomes =
        request -> {
          throw FakeServer.error(
              Status.Code.UNAVAILABLE, "STORE_UNAVAILABLE", request.getRequestId());
        };
    try (SupportabilityClient client = server.client().build()) {
      UnavailableException e =
          assertThrows(
              UnavailableException.class,
              () ->
                  client.batchRecordOutcomes(
                      List.of(OUTCOME), RequestOptions.builder().requestId("store-1").build()));

      assertInstanceOf(ServiceErrorException.class, e);
      assertEquals("STORE_UNAVAILABLE", e.getReason());
      assertEquals("store-1", e.getRequestId());
      assertTrue(e.isRetryable());
      assertEquals(4, server.attempts.get());
      assertTrue(
          server.batchRecordRequests.stream().allMatch(r -> r.getRequestId().equals("store-1")));
    }
  }

  @Test
  void getPredictionRecordIsRetriedOnUnavailable() {
    server.getPredictionRecord =
        request -> {
          if (server.attempts.get() <= 1) {
            throw FakeServer.error(Status.Code.UNAVAILABLE, "STORE_UNAVAILABLE", "");
          }
          return GetPredictionRecordResponse.getDefaultInstance();
        };
    try (SupportabilityClient client = server.client().build()) {
      client.getPredictionRecordByPredictionId("pred-1");
    }
    assertEquals(2, server.attempts.get());
  }
}
