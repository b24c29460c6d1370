package dev.supportability.client;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.supportability.v1.BatchPredictCasesResponse;
import dev.supportability.v1.CasePrediction;
import dev.supportability.v1.PredictCaseRequest;
import dev.supportability.v1.PredictCaseResponse;
import dev.supportability.v1.StreamPredictCasesResponse;
import dev.supportability.v1.SupportCase;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The client against a fake service on the in-process transport. */
class ClientCallsTest {
  private static final SupportCase CASE = SupportCase.newBuilder().setCaseId("case-1").build();

  private FakeServer server;

  @BeforeEach
  void startServer() throws Exception {
    server = new FakeServer();
  }

  @AfterEach
  void stopServer() throws Exception {
    server.close();
  }

  @Test
  void predictCaseReturnsThePredictionAndGeneratesARequestId() {
    try (SupportabilityClient client = server.client().build()) {
      PredictCaseResponse response = client.predictCase(CASE);

      assertEquals("case-1", response.getPrediction().getCaseId());
      String sent = server.predictRequests.remove().getRequestId();
      assertEquals(sent, UUID.fromString(sent).toString());
      assertEquals(sent, response.getRequestId());
    }
  }

  @Test
  void requestIdComesFromTheOptionsThenTheRequest() {
    try (SupportabilityClient client = server.client().build()) {
      PredictCaseRequest request =
          PredictCaseRequest.newBuilder().setSupportCase(CASE).setRequestId("from-request").build();
      client.predictCase(request);
      client.predictCase(request, RequestOptions.builder().requestId("from-options").build());

      assertEquals("from-request", server.predictRequests.remove().getRequestId());
      assertEquals("from-options", server.predictRequests.remove().getRequestId());
    }
  }

  @Test
  void sendsBearerTokenUserAgentAndPerCallHeaders() {
    try (SupportabilityClient client =
        server.client().bearerToken("s3cret").userAgent("billing-service/2.1").build()) {
      client.predictCase(CASE, RequestOptions.builder().header("X-Tenant", "eu-1").build());

      Metadata headers = server.headers.remove();
      assertEquals(List.of("Bearer s3cret"), FakeServer.values(headers, "authorization"));
      assertEquals(List.of("eu-1"), FakeServer.values(headers, "x-tenant"));
      assertTrue(
          FakeServer.values(headers, "user-agent").get(0).startsWith("billing-service/2.1"),
          headers.toString());
    }
  }

  @Test
  void defaultUserAgentNamesTheClientAndItsVersion() {
    try (SupportabilityClient client = server.client().build()) {
      client.predictCase(CASE);

      String userAgent = FakeServer.values(server.headers.remove(), "user-agent").get(0);
      assertTrue(userAgent.startsWith("supportability-java/0."), userAgent);
    }
  }

  @Test
  void rotatingTokenIsAskedOnEveryCall() {
    List<String> tokens = new CopyOnWriteArrayList<>(List.of("first", "second"));
    try (SupportabilityClient client =
        server.client().bearerToken(() -> tokens.remove(0)).build()) {
      client.predictCase(CASE);
      client.predictCase(CASE);
    }
    assertEquals(
        List.of("Bearer first"), FakeServer.values(server.headers.remove(), "authorization"));
    assertEquals(
        List.of("Bearer second"), FakeServer.values(server.headers.remove(), "authorization"));
  }

  @Test
  void everyCallHasTheDefaultDeadline() {
    try (SupportabilityClient client = server.client().build()) {
      client.predictCase(CASE);
      client.getModel("");
    }
    for (long remaining : server.deadlinesMillis) {
      // Loose below: a loaded machine can take a while to deliver the first call.
      assertTrue(remaining > 3_000 && remaining <= 5_000, "remaining ms: " + remaining);
    }
  }

  @Test
  void aLongerPerCallDeadlineIsNotCappedByTheServiceConfig() {
    try (SupportabilityClient client = server.client().build()) {
      client.predictCase(CASE, RequestOptions.builder().deadline(Duration.ofSeconds(30)).build());
    }
    long remaining = server.deadlinesMillis.remove();
    assertTrue(remaining > 25_000, "remaining ms: " + remaining);
  }

  @Test
  void deadlinePassingThrowsDeadlineExceeded() {
    server.predict = request -> null; // never answers
    try (SupportabilityClient client =
        server.client().defaultDeadline(Duration.ofMillis(200)).build()) {
      DeadlineExceededException e =
          assertThrows(DeadlineExceededException.class, () -> client.predictCase(CASE));

      assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatusCode());
      assertEquals(server.predictRequests.remove().getRequestId(), e.getRequestId());
      assertTrue(e.isRetryable());
    }
  }

  @Test
  void asyncPredictCompletesAndFailsWithTypedErrors() throws Exception {
    try (SupportabilityClient client = server.client().build()) {
      assertEquals(
          "case-1",
          client.predictCaseAsync(CASE).get(5, TimeUnit.SECONDS).getPrediction().getCaseId());

      server.predict =
          request -> {
            throw FakeServer.error(
                Status.Code.INVALID_ARGUMENT, "INVALID_CASE", request.getRequestId());
          };
      CompletableFuture<PredictCaseResponse> failed = client.predictCaseAsync(CASE);
      ExecutionException e =
          assertThrows(ExecutionException.class, () -> failed.get(5, TimeUnit.SECONDS));
      assertInstanceOf(InvalidRequestException.class, e.getCause());
    }
  }

  @Test
  void batchPredictGeneratesARequestIdAndKeepsOrder() {
    List<SupportCase> cases = List.of(CASE, SupportCase.newBuilder().setCaseId("case-2").build());
    try (SupportabilityClient client = server.client().build()) {
      BatchPredictCasesResponse response = client.batchPredictCases(cases);

      assertEquals(
          List.of("case-1", "case-2"),
          response.getPredictionsList().stream().map(CasePrediction::getCaseId).toList());
      assertDoesNotThrow(() -> UUID.fromString(response.getRequestId()));
    }
  }

  @Test
  void listenerHearsOfEveryCall() {
    List<CallListener.CallInfo> calls = new CopyOnWriteArrayList<>();
    server.predict =
        request -> {
          throw FakeServer.error(
              Status.Code.INVALID_ARGUMENT, "INVALID_CASE", request.getRequestId());
        };
    try (SupportabilityClient client =
        server
            .client()
            .callListener(
                call -> {
                  throw new IllegalStateException("a broken listener must not break calls");
                })
            .callListener(calls::add)
            .build()) {
      client.getModel("");
      assertThrows(
          InvalidRequestException.class,
          () -> client.predictCase(CASE, RequestOptions.builder().requestId("req-7").build()));
    }

    assertEquals(2, calls.size());
    assertEquals("supportability.v1.ModelService/GetModel", calls.get(0).method());
    assertEquals(Status.Code.OK, calls.get(0).statusCode());
    assertEquals("", calls.get(0).requestId());
    assertEquals("supportability.v1.PredictionService/PredictCase", calls.get(1).method());
    assertEquals(Status.Code.INVALID_ARGUMENT, calls.get(1).statusCode());
    assertEquals("req-7", calls.get(1).requestId());
    assertFalse(calls.get(1).duration().isNegative());
  }

  @Test
  void streamAnswersEachCaseAndFailsOnlyTheInvalidOne() throws Exception {
    server.streamMessage =
        request -> {
          StreamPredictCasesResponse.Builder response =
              StreamPredictCasesResponse.newBuilder().setRequestId(request.getRequestId());
          if (request.getSupportCase().getCaseId().equals("bad")) {
            return response
                .setError(
                    FakeServer.richStatus(
                        Status.Code.INVALID_ARGUMENT,
                        "INVALID_CASE",
                        request.getRequestId(),
                        FakeServer.violations("support_case.channel", "required")))
                .build();
          }
          return response
              .setPrediction(FakeServer.prediction(request.getSupportCase().getCaseId()))
              .build();
        };
    List<CompletableFuture<CasePrediction>> futures = new java.util.ArrayList<>();
    try (SupportabilityClient client = server.client().build();
        PredictionStream stream = client.openPredictionStream(RequestOptions.defaults(), 2)) {
      for (String id : List.of("a", "bad", "c", "d", "e")) {
        futures.add(stream.predict(SupportCase.newBuilder().setCaseId(id).build()));
      }
    }

    assertEquals("a", futures.get(0).get().getCaseId());
    ExecutionException bad = assertThrows(ExecutionException.class, () -> futures.get(1).get());
    InvalidRequestException invalid =
        assertInstanceOf(InvalidRequestException.class, bad.getCause());
    assertEquals("support_case.channel", invalid.getFieldViolations().get(0).field());
    assertEquals("e", futures.get(4).get().getCaseId());
  }

  @Test
  void aFailedStreamFailsItsOutstandingCasesAndItsClose() throws Exception {
    server.streamMessage =
        request -> {
          throw FakeServer.error(Status.Code.UNAUTHENTICATED, "UNAUTHENTICATED", "");
        };
    try (SupportabilityClient client = server.client().build()) {
      PredictionStream stream = client.openPredictionStream();
      CompletableFuture<CasePrediction> first = stream.predict(CASE);

      ExecutionException e =
          assertThrows(ExecutionException.class, () -> first.get(5, TimeUnit.SECONDS));
      assertInstanceOf(AuthenticationException.class, e.getCause());
      ExecutionException later =
          assertThrows(
              ExecutionException.class, () -> stream.predict(CASE).get(5, TimeUnit.SECONDS));
      assertInstanceOf(AuthenticationException.class, later.getCause());
      assertThrows(AuthenticationException.class, stream::close);
    }
  }

  @Test
  void closeLeavesASharedChannelOpen() {
    ManagedChannel shared = InProcessChannelBuilder.forName(server.name).build();
    try {
      SupportabilityClient.builder().channel(shared).build().close();
      try (SupportabilityClient client = SupportabilityClient.builder().channel(shared).build()) {
        assertEquals("case-1", client.predictCase(CASE).getPrediction().getCaseId());
      }
      assertFalse(shared.isShutdown());
    } finally {
      shared.shutdownNow();
    }
  }

  @Test
  void builderRejectsContradictions() {
    assertThrows(IllegalStateException.class, () -> SupportabilityClient.builder().build());
    assertThrows(
        IllegalStateException.class,
        () -> SupportabilityClient.builder().target("a:1").addresses(List.of("b:2")).build());
    ManagedChannel shared = InProcessChannelBuilder.forName(server.name).build();
    try {
      assertThrows(
          IllegalStateException.class,
          () -> SupportabilityClient.builder().channel(shared).retries(false).build());
    } finally {
      shared.shutdownNow();
    }
    assertThrows(
        IllegalArgumentException.class,
        () -> SupportabilityClient.builder().defaultDeadline(Duration.ZERO));
  }
}
