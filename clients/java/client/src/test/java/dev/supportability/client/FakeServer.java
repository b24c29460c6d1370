package dev.supportability.client;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import dev.supportability.v1.BatchPredictCasesRequest;
import dev.supportability.v1.BatchPredictCasesResponse;
import dev.supportability.v1.CasePrediction;
import dev.supportability.v1.GetModelRequest;
import dev.supportability.v1.GetModelResponse;
import dev.supportability.v1.ModelServiceGrpc;
import dev.supportability.v1.PredictCaseRequest;
import dev.supportability.v1.PredictCaseResponse;
import dev.supportability.v1.PredictionServiceGrpc;
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

  private final Server server;

  FakeServer() throws IOException {
    server =
        InProcessServerBuilder.forName(name)
            .addService(ServerInterceptors.intercept(new Predictions(), new Recorder()))
            .addService(ServerInterceptors.intercept(new Models(), new Recorder()))
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

  static PredictCaseResponse echo(PredictCaseRequest request) {
    return PredictCaseResponse.newBuilder()
        .setPrediction(prediction(request.getSupportCase().getCaseId()))
        .setRequestId(request.getRequestId())
        .build();
  }

  /** The error the real service sends: a google.rpc.Status with ErrorInfo and more. */
  static com.google.rpc.Status richStatus(
      Status.Code code, String reason, String requestId, Any... more) {
    com.google.rpc.Status.Builder status =
        com.google.rpc.Status.newBuilder()
            .setCode(code.value())
            .setMessage(reason.toLowerCase() + " happened")
            .addDetails(
                Any.pack(
                    ErrorInfo.newBuilder()
                        .setReason(reason)
                        .setDomain("supportability.dev")
                        .putMetadata("request_id", requestId)
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
