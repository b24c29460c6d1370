package dev.supportability.client;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import dev.supportability.v1.BatchPredictCasesRequest;
import dev.supportability.v1.BatchPredictCasesResponse;
import dev.supportability.v1.BatchRecordOutcomesRequest;
import dev.supportability.v1.BatchRecordOutcomesResponse;
import dev.supportability.v1.CasePrediction;
import dev.supportability.v1.GetModelRequest;
import dev.supportability.v1.GetModelResponse;
import dev.supportability.v1.GetPredictionRecordRequest;
import dev.supportability.v1.GetPredictionRecordResponse;
import dev.supportability.v1.ModelServiceGrpc;
import dev.supportability.v1.Outcome;
import dev.supportability.v1.OutcomeServiceGrpc;
import dev.supportability.v1.PredictCaseRequest;
import dev.supportability.v1.PredictCaseResponse;
import dev.supportability.v1.PredictionRecord;
import dev.supportability.v1.PredictionServiceGrpc;
import dev.supportability.v1.RecordOutcomeRequest;
import dev.supportability.v1.RecordOutcomeResponse;
import dev.supportability.v1.RecordedOutcome;
import dev.supportability.v1.StreamPredictCasesRequest;
import dev.supportability.v1.StreamPredictCasesResponse;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A fake Supportability service on gRPC's in-process transport. Tests set the handlers; the fake
 * records what arrived (headers, requests, deadlines, attempts).
 */
final class FakeServer implements AutoCloseable {
  final String name = "fake-" + UUID.randomUUID();
  final Queue<Metadata> headers = new ConcurrentLinkedQueue<>();
  final Queue<PredictCaseRequest> predictRequests = new ConcurrentLinkedQueue<>();
  final Queue<Long> deadlinesMillis = new ConcurrentLinkedQueue<>();
  final AtomicInteger attempts = new AtomicInteger();

  /** Answers PredictCase; may throw a StatusRuntimeException to fail the call. */
  volatile Function<PredictCaseRequest, PredictCaseResponse> predict = FakeServer::echo;

  /** Answers each stream message; may throw a StatusRuntimeException to fail the stream. */
  volatile Function<StreamPredictCasesRequest, StreamPredictCasesResponse> streamMessage =
      request ->
          StreamPredictCasesResponse.newBuilder()
              .setRequestId(request.getRequestId())
              .setPrediction(prediction(request.getSupportCase().getCaseId()))
              .build();

  /** Answers GetModel. */
  volatile Function<GetModelRequest, GetModelResponse> getModel =
      request -> GetModelResponse.getDefaultInstance();

  final Queue<RecordOutcomeRequest> recordRequests = new ConcurrentLinkedQueue<>();
  final Queue<BatchRecordOutcomesRequest> batchRecordRequests = new ConcurrentLinkedQueue<>();
  final Queue<GetPredictionRecordRequest> recordLookups = new ConcurrentLinkedQueue<>();

  /** Answers RecordOutcome (every attempt); may throw a StatusRuntimeException. */
  volatile Function<RecordOutcomeRequest, RecordOutcomeResponse> recordOutcome =
      request ->
          RecordOutcomeResponse.newBuilder()
              .setRecordedOutcome(recorded(request.getOutcome()))
              .setRequestId(request.getRequestId())
              .build();

  /** Answers BatchRecordOutcomes; may throw a StatusRuntimeException. */
  volatile Function<BatchRecordOutcomesRequest, BatchRecordOutcomesResponse> batchRecordOutcomes =
      request -> {
        BatchRecordOutcomesResponse.Builder response =
            BatchRecordOutcomesResponse.newBuilder().setRequestId(request.getRequestId());
        request.getOutcomesList().forEach(o -> response.addRecordedOutcomes(recorded(o)));
        return response.build();
      };

  /** Answers GetPredictionRecord; may throw a StatusRuntimeException. */
  volatile Function<GetPredictionRecordRequest, GetPredictionRecordResponse> getPredictionRecord =
      request -> {
        String predictionId =
            request.hasPredictionId()
                ? request.getPredictionId()
                : "pred-of-" + request.getCaseId();
        return GetPredictionRecordResponse.newBuilder()
            .setPredictionRecord(
                PredictionRecord.newBuilder()
                    .setPrediction(
                        prediction(request.getCaseId()).toBuilder().setPredictionId(predictionId)))
            .build();
      };

  private final Server server;

  FakeServer() throws IOException {
    server =
        InProcessServerBuilder.forName(name)
            .addService(ServerInterceptors.intercept(new Predictions(), new Recorder()))
            .addService(ServerInterceptors.intercept(new Models(), new Recorder()))
            .addService(ServerInterceptors.intercept(new Outcomes(), new Recorder()))
            .build()
            .start();
  }

  /** A client builder connected to this server. */
  SupportabilityClient.Builder client() {
    return SupportabilityClient.builder().channelBuilder(InProcessChannelBuilder.forName(name));
  }

  /** A prediction that echoes the case id. */
  static CasePrediction prediction(String caseId) {
    return CasePrediction.newBuilder().setCaseId(caseId).setModelVersion("fake-1").build();
  }

  /** The outcome as the fake stores it: keyed by its prediction id (made up for a case id). */
  static RecordedOutcome recorded(Outcome outcome) {
    String predictionId =
        outcome.hasPredictionId() ? outcome.getPredictionId() : "pred-of-" + outcome.getCaseId();
    return RecordedOutcome.newBuilder()
        .setPredictionId(predictionId)
        .setCaseId(outcome.getCaseId())
        .setModelVersion("fake-1")
        .setOutcome(outcome.toBuilder().setPredictionId(predictionId))
        .build();
  }

  static PredictCaseResponse echo(PredictCaseRequest request) {
    return PredictCaseResponse.newBuilder()
        .setPrediction(prediction(request.getSupportCase().getCaseId()))
        .setRequestId(request.getRequestId())
        .build();
  }

  /** The error the real service sends: a google.rpc.Status with ErrorInfo and more. */
  static com.google.rpc.Status richStatus(
      Status.Code code, String reason, String requestId, Any... more) {
    return richStatus(code, reason, Map.of("request_id", requestId), more);
  }

  /** The same, with the ErrorInfo metadata given in full (request id included). */
  static com.google.rpc.Status richStatus(
      Status.Code code, String reason, Map<String, String> metadata, Any... more) {
    com.google.rpc.Status.Builder status =
        com.google.rpc.Status.newBuilder()
            .setCode(code.value())
            .setMessage(reason.toLowerCase() + " happened")
            .addDetails(
                Any.pack(
                    ErrorInfo.newBuilder()
                        .setReason(reason)
                        .setDomain("supportability.dev")
                        .putAllMetadata(metadata)
                        .build()));
    for (Any detail : more) {
      status.addDetails(detail);
    }
    return status.build();
  }

  static StatusRuntimeException error(
      Status.Code code, String reason, String requestId, Any... more) {
    return StatusProto.toStatusRuntimeException(richStatus(code, reason, requestId, more));
  }

  static StatusRuntimeException error(
      Status.Code code, String reason, Map<String, String> metadata, Any... more) {
    return StatusProto.toStatusRuntimeException(richStatus(code, reason, metadata, more));
  }

  static Any violations(String... fieldThenDescription) {
    BadRequest.Builder badRequest = BadRequest.newBuilder();
    for (int i = 0; i < fieldThenDescription.length; i += 2) {
      badRequest.addFieldViolations(
          BadRequest.FieldViolation.newBuilder()
              .setField(fieldThenDescription[i])
              .setDescription(fieldThenDescription[i + 1]));
    }
    return Any.pack(badRequest.build());
  }

  static Any retryAfter(long millis) {
    return Any.pack(
        RetryInfo.newBuilder()
            .setRetryDelay(com.google.protobuf.util.Durations.fromMillis(millis))
            .build());
  }

  /**
   * Stops the server and waits up to 5 s for it. Does not throw InterruptedException (AutoCloseable
   * advises against it, lint category "try"): an interrupt is kept on the thread instead.
   */
  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private final class Recorder implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
        ServerCall<Q, R> call, Metadata requestHeaders, ServerCallHandler<Q, R> next) {
      attempts.incrementAndGet();
      headers.add(requestHeaders);
      Deadline deadline = Context.current().getDeadline();
      deadlinesMillis.add(deadline == null ? -1 : deadline.timeRemaining(TimeUnit.MILLISECONDS));
      return next.startCall(call, requestHeaders);
    }
  }

  private final class Predictions extends PredictionServiceGrpc.PredictionServiceImplBase {
    @Override
    public void predictCase(PredictCaseRequest request, StreamObserver<PredictCaseResponse> out) {
      predictRequests.add(request);
      answer(() -> predict.apply(request), out);
    }

    @Override
    public void batchPredictCases(
        BatchPredictCasesRequest request, StreamObserver<BatchPredictCasesResponse> out) {
      BatchPredictCasesResponse.Builder response =
          BatchPredictCasesResponse.newBuilder().setRequestId(request.getRequestId());
      request
          .getSupportCasesList()
          .forEach(c -> response.addPredictions(prediction(c.getCaseId())));
      answer(response::build, out);
    }

    @Override
    public StreamObserver<StreamPredictCasesRequest> streamPredictCases(
        StreamObserver<StreamPredictCasesResponse> out) {
      return new StreamObserver<>() {
        @Override
        public void onNext(StreamPredictCasesRequest request) {
          try {
            out.onNext(streamMessage.apply(request));
          } catch (StatusRuntimeException e) {
            out.onError(e); // fails the whole stream
          }
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          out.onCompleted();
        }
      };
    }
  }

  private final class Models extends ModelServiceGrpc.ModelServiceImplBase {
    @Override
    public void getModel(GetModelRequest request, StreamObserver<GetModelResponse> out) {
      answer(() -> getModel.apply(request), out);
    }
  }

  private final class Outcomes extends OutcomeServiceGrpc.OutcomeServiceImplBase {
    @Override
    public void recordOutcome(
        RecordOutcomeRequest request, StreamObserver<RecordOutcomeResponse> out) {
      recordRequests.add(request);
      answer(() -> recordOutcome.apply(request), out);
    }

    @Override
    public void batchRecordOutcomes(
        BatchRecordOutcomesRequest request, StreamObserver<BatchRecordOutcomesResponse> out) {
      batchRecordRequests.add(request);
      answer(() -> batchRecordOutcomes.apply(request), out);
    }

    @Override
    public void getPredictionRecord(
        GetPredictionRecordRequest request, StreamObserver<GetPredictionRecordResponse> out) {
      recordLookups.add(request);
      answer(() -> getPredictionRecord.apply(request), out);
    }
  }

  private static <R> void answer(Supplier<R> handler, StreamObserver<R> out) {
    R response;
    try {
      response = handler.get();
    } catch (StatusRuntimeException e) {
      out.onError(e);
      return;
    }
    if (response != null) { // null: never answer, to let the deadline pass
      out.onNext(response);
      out.onCompleted();
    }
  }

  /** Every value of one ASCII header. */
  static List<String> values(Metadata metadata, String key) {
    List<String> values = new ArrayList<>();
    Iterable<String> found =
        metadata.getAll(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER));
    if (found != null) {
      found.forEach(values::add);
    }
    return values;
  }
}
