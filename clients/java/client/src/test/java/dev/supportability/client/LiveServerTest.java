package dev.supportability.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.supportability.client.tools.GoldenVectors;
import dev.supportability.v1.BatchPredictCasesResponse;
import dev.supportability.v1.CasePrediction;
import dev.supportability.v1.DecisionAction;
import dev.supportability.v1.DecisionReason;
import dev.supportability.v1.Model;
import dev.supportability.v1.ModelKind;
import dev.supportability.v1.ModelState;
import dev.supportability.v1.Outcome;
import dev.supportability.v1.PredictCaseResponse;
import dev.supportability.v1.PredictionRecord;
import dev.supportability.v1.QueueScore;
import dev.supportability.v1.RecordOutcomeResponse;
import dev.supportability.v1.RecordedOutcome;
import dev.supportability.v1.SupportCase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The client against the real Python server, with a trained model. */
@Tag("integration")
class LiveServerTest {
  @RegisterExtension static final PythonServer server = PythonServer.plain();

  private static SupportabilityClient client;

  @BeforeAll
  static void connect() {
    client = SupportabilityClient.builder().target(server.target()).build();
  }

  @AfterAll
  static void disconnect() {
    client.close();
  }

  @Test
  void predictsACase() {
    PredictCaseResponse response = client.predictCase(TestCases.payoutDelayed("case-1"));

    CasePrediction prediction = response.getPrediction();
    assertEquals("case-1", prediction.getCaseId());
    assertFalse(prediction.getModelVersion().isEmpty());
    List<QueueScore> queues = prediction.getRouting().getTopQueuesList();
    assertFalse(queues.isEmpty());
    for (int i = 1; i < queues.size(); i++) {
      assertTrue(
          queues.get(i - 1).getProbability() >= queues.get(i).getProbability(), queues.toString());
    }
    assertTrue(
        prediction.getEscalation().getProbability() >= 0
            && prediction.getEscalation().getProbability() <= 1);
    assertTrue(prediction.getDecision().getAction() != DecisionAction.DECISION_ACTION_UNSPECIFIED);
    assertEquals(queues.get(0).getQueue(), prediction.getDecision().getQueue());
    // A reason exactly when the case goes to a person: low confidence or out of scope.
    boolean routed =
        prediction.getDecision().getAction() == DecisionAction.DECISION_ACTION_AUTO_ROUTE;
    assertEquals(
        routed,
        prediction.getDecision().getReason() == DecisionReason.DECISION_REASON_UNSPECIFIED,
        prediction.getDecision().toString());
    assertFalse(response.getRequestId().isEmpty());
  }

  @Test
  void predictsWithoutBlocking() throws Exception {
    PredictCaseResponse response =
        client
            .predictCaseAsync(
                TestCases.payoutDelayed("case-async"),
                RequestOptions.builder().requestId("java-async-1").build())
            .get(10, TimeUnit.SECONDS);

    assertEquals("case-async", response.getPrediction().getCaseId());
    assertEquals("java-async-1", response.getRequestId());
  }

  @Test
  void predictsABatchInOrder() {
    BatchPredictCasesResponse response =
        client.batchPredictCases(
            List.of(
                TestCases.payoutDelayed("b-1"),
                TestCases.payoutDelayed("b-2"),
                TestCases.payoutDelayed("b-3")));

    assertEquals(
        List.of("b-1", "b-2", "b-3"),
        response.getPredictionsList().stream().map(CasePrediction::getCaseId).toList());
  }

  @Test
  void invalidCaseIsAnInvalidRequestNamingEachField() {
    InvalidRequestException e =
        assertThrows(
            InvalidRequestException.class,
            () ->
                client.predictCase(
                    TestCases.invalid("bad"),
                    RequestOptions.builder().requestId("java-invalid-1").build()));

    assertEquals("INVALID_CASE", e.getReason());
    assertEquals("java-invalid-1", e.getRequestId());
    List<String> fields = e.getFieldViolations().stream().map(FieldViolation::field).toList();
    assertTrue(fields.contains("support_case.channel"), fields.toString());
    assertTrue(fields.contains("support_case.account.disputes_30d"), fields.toString());
  }

  @Test
  void invalidCaseInABatchIsNamedByIndex() {
    InvalidRequestException e =
        assertThrows(
            InvalidRequestException.class,
            () ->
                client.batchPredictCases(
                    List.of(TestCases.payoutDelayed("ok"), TestCases.invalid("bad"))));

    List<String> fields = e.getFieldViolations().stream().map(FieldViolation::field).toList();
    assertTrue(fields.contains("support_cases[1].channel"), fields.toString());
  }

  @Test
  void streamAnswersEveryCaseAndFailsOnlyTheInvalidOne() throws Exception {
    List<SupportCase> cases = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      cases.add(i == 7 ? TestCases.invalid("s-7") : TestCases.payoutDelayed("s-" + i));
    }
    List<CompletableFuture<CasePrediction>> futures = new ArrayList<>();
    try (PredictionStream stream = client.openPredictionStream(RequestOptions.defaults(), 4)) {
      for (SupportCase c : cases) {
        futures.add(stream.predict(c));
      }
    }

    for (int i = 0; i < cases.size(); i++) {
      if (i == 7) {
        ExecutionException e = assertThrows(ExecutionException.class, futures.get(i)::get);
        InvalidRequestException invalid =
            assertInstanceOf(InvalidRequestException.class, e.getCause());
        assertFalse(invalid.getFieldViolations().isEmpty());
      } else {
        assertEquals("s-" + i, futures.get(i).get().getCaseId());
      }
    }
  }

  @Test
  void listsAndGetsModels() {
    List<Model> models = client.listModels().getModelsList();
    assertFalse(models.isEmpty());

    Model promoted = client.getModel("").getModel();
    assertEquals(ModelState.MODEL_STATE_PROMOTED, promoted.getState());
    assertEquals(ModelKind.MODEL_KIND_LINEAR, promoted.getKind()); // the default model of make run
    assertTrue(models.stream().anyMatch(m -> m.getVersion().equals(promoted.getVersion())));

    NotFoundException e =
        assertThrows(NotFoundException.class, () -> client.getModel("no-such-version"));
    assertEquals("MODEL_VERSION_NOT_FOUND", e.getReason());
  }

  @Test
  void listsExperimentsAndNamesAnUnknownOne() {
    // The test server's registry runs no experiment: the list is empty, and a name is not found.
    assertTrue(client.listExperiments().getExperimentsList().isEmpty());
    NotFoundException e =
        assertThrows(NotFoundException.class, () -> client.getExperiment("no-such-experiment"));
    assertEquals("EXPERIMENT_NOT_FOUND", e.getReason());
  }

  @Test
  void recordsAnOutcomeIdempotentlyAndReadsTheRecordBack() {
    String caseId = "java-outcome-" + UUID.randomUUID();
    CasePrediction prediction = client.predictCase(TestCases.payoutDelayed(caseId)).getPrediction();
    String predictionId = prediction.getPredictionId();
    assertFalse(predictionId.isEmpty());
    String queue = prediction.getDecision().getQueue();
    Outcome outcome =
        Outcome.newBuilder()
            .setPredictionId(predictionId)
            .setResolvedQueue(queue)
            .setEscalated(false)
            .setCsatScore(5)
            .build();

    RecordOutcomeResponse first =
        client.recordOutcome(outcome, RequestOptions.builder().requestId("java-outcome-1").build());
    RecordOutcomeResponse again = client.recordOutcome(outcome);

    RecordedOutcome recorded = first.getRecordedOutcome();
    assertEquals("java-outcome-1", first.getRequestId());
    assertEquals(predictionId, recorded.getPredictionId());
    assertEquals(caseId, recorded.getCaseId());
    assertEquals(prediction.getModelVersion(), recorded.getModelVersion());
    assertEquals(queue, recorded.getOutcome().getResolvedQueue());
    assertEquals(recorded, again.getRecordedOutcome()); // sent again: nothing changed

    String otherQueue = queue.equals("payouts") ? "disputes" : "payouts";
    ConflictException conflict =
        assertThrows(
            ConflictException.class,
            () ->
                client.recordOutcome(
                    outcome.toBuilder().setResolvedQueue(otherQueue).build(),
                    RequestOptions.builder().requestId("java-conflict-1").build()));
    assertEquals("OUTCOME_CONFLICT", conflict.getReason());
    assertEquals(Optional.of("resolved_queue"), conflict.getField());
    assertEquals("java-conflict-1", conflict.getRequestId());

    NotFoundException unknown =
        assertThrows(
            NotFoundException.class,
            () ->
                client.recordOutcome(
                    Outcome.newBuilder()
                        .setPredictionId(UUID.randomUUID().toString())
                        .setEscalated(true)
                        .build()));
    assertEquals("PREDICTION_NOT_FOUND", unknown.getReason());

    PredictionRecord record =
        client.getPredictionRecordByPredictionId(predictionId).getPredictionRecord();
    assertEquals(prediction, record.getPrediction()); // as it was served
    assertTrue(record.hasPredictTime());
    assertEquals(recorded, record.getRecordedOutcome()); // the conflict changed nothing
    assertEquals(1, record.getRevisionsCount(), record.getRevisionsList().toString());
    assertEquals("java-outcome-1", record.getRevisions(0).getRequestId());
    assertEquals(
        predictionId,
        client
            .getPredictionRecordByCaseId(caseId)
            .getPredictionRecord()
            .getPrediction()
            .getPredictionId());
    NotFoundException noRecord =
        assertThrows(
            NotFoundException.class,
            () -> client.getPredictionRecordByPredictionId(UUID.randomUUID().toString()));
    assertEquals("PREDICTION_NOT_FOUND", noRecord.getReason());
  }

  @Test
  void correctsAnOutcomeAndRecordsABatchByCaseId() {
    String caseA = "java-batch-a-" + UUID.randomUUID();
    String caseB = "java-batch-b-" + UUID.randomUUID();
    List<CasePrediction> predictions =
        client
            .batchPredictCases(
                List.of(TestCases.payoutDelayed(caseA), TestCases.payoutDelayed(caseB)))
            .getPredictionsList();

    List<RecordedOutcome> recorded =
        client
            .batchRecordOutcomes(
                List.of(
                    Outcome.newBuilder().setCaseId(caseA).setEscalated(true).build(),
                    Outcome.newBuilder().setCaseId(caseB).setDecisionOverridden(false).build()))
            .getRecordedOutcomesList();
    assertEquals(
        predictions.stream().map(CasePrediction::getPredictionId).toList(),
        recorded.stream().map(RecordedOutcome::getPredictionId).toList());

    RecordedOutcome corrected =
        client
            .recordOutcome(
                Outcome.newBuilder()
                    .setCaseId(caseA)
                    .setEscalated(false)
                    .setCorrection(true)
                    .build())
            .getRecordedOutcome();
    assertFalse(corrected.getOutcome().getEscalated());
    PredictionRecord record = client.getPredictionRecordByCaseId(caseA).getPredictionRecord();
    assertEquals(2, record.getRevisionsCount(), record.getRevisionsList().toString());

    InvalidRequestException invalid =
        assertThrows(
            InvalidRequestException.class,
            () ->
                client.recordOutcome(
                    Outcome.newBuilder().setCaseId(caseB).setCsatScore(9).build()));
    assertEquals("INVALID_OUTCOME", invalid.getReason());
    List<String> fields = invalid.getFieldViolations().stream().map(FieldViolation::field).toList();
    assertTrue(fields.stream().anyMatch(f -> f.endsWith("csat_score")), fields.toString());
  }

  @Test
  void goldenVectorRunnerWritesOneLinePerVector(@TempDir Path tmp) throws Exception {
    Path vectors = PythonServer.repositoryRoot().resolve("tests/vectors/cases.json");
    Path out = tmp.resolve("java.jsonl");

    int count = GoldenVectors.run(server.target(), vectors, out);

    List<String> lines = Files.readAllLines(out);
    assertEquals(count, lines.size());
    assertTrue(count > 0);
    assertTrue(lines.get(0).startsWith("{\"name\":"), lines.get(0));
    assertTrue(lines.get(0).contains("\"modelVersion\":"), lines.get(0));
  }
}
