package dev.supportability.client;

import com.google.common.util.concurrent.MoreExecutors;
import dev.supportability.v1.BatchPredictCasesRequest;
import dev.supportability.v1.BatchPredictCasesResponse;
import dev.supportability.v1.BatchRecordOutcomesRequest;
import dev.supportability.v1.BatchRecordOutcomesResponse;
import dev.supportability.v1.GetExperimentRequest;
import dev.supportability.v1.GetExperimentResponse;
import dev.supportability.v1.GetModelRequest;
import dev.supportability.v1.GetModelResponse;
import dev.supportability.v1.GetPredictionRecordRequest;
import dev.supportability.v1.GetPredictionRecordResponse;
import dev.supportability.v1.ListExperimentsRequest;
import dev.supportability.v1.ListExperimentsResponse;
import dev.supportability.v1.ListModelsRequest;
import dev.supportability.v1.ListModelsResponse;
import dev.supportability.v1.ModelServiceGrpc;
import dev.supportability.v1.Outcome;
import dev.supportability.v1.OutcomeServiceGrpc;
import dev.supportability.v1.PredictCaseRequest;
import dev.supportability.v1.PredictCaseResponse;
import dev.supportability.v1.PredictionServiceGrpc;
import dev.supportability.v1.RecordOutcomeRequest;
import dev.supportability.v1.RecordOutcomeResponse;
import dev.supportability.v1.StreamPredictCasesRequest;
import dev.supportability.v1.StreamPredictCasesResponse;
import dev.supportability.v1.SupportCase;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptors;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.NameResolverRegistry;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * The client of the Supportability prediction service (predictions, model versions, and the
 * outcomes recorded against predictions). Create one per process and share it: it is thread-safe,
 * and it holds a pooled HTTP/2 connection per server.
 *
 * <pre>{@code
 * try (SupportabilityClient client = SupportabilityClient.builder()
 *     .target("127.0.0.1:50051")
 *     .build()) {
 *   PredictCaseResponse response = client.predictCase(supportCase);
 *   Decision decision = response.getPrediction().getDecision();
 * }
 * }</pre>
 *
 * <p>Every call has a deadline ({@link Builder#defaultDeadline}, 5 s unless set, or {@link
 * RequestOptions.Builder#deadline}) and a request id (generated when the caller gives none). Calls
 * the service could not answer because it was unavailable are retried per the contract's service
 * config (up to 4 attempts, exponential backoff with jitter) unless {@link Builder#retries(boolean)
 * retries are off}. Failures are thrown as, or complete futures with, a {@link
 * SupportabilityException} subclass.
 */
public final class SupportabilityClient implements AutoCloseable {
  /** The deadline of a unary call unless the builder or the call sets one. */
  public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(5);

  /** The deadline of a prediction stream unless the builder or the call sets one. */
  public static final Duration DEFAULT_STREAM_DEADLINE = Duration.ofMinutes(10);

  /** How many cases a prediction stream keeps outstanding unless told otherwise. */
  public static final int DEFAULT_STREAM_MAX_IN_FLIGHT = 128;

  private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(5);

  private final ManagedChannel ownedChannel; // null when the caller shares their own channel
  private final ClientEventLoop eventLoop; // null unless the client built a Netty channel itself
  private final Channel channel; // ownedChannel or the shared one, with the client's interceptors
  private final Duration defaultDeadline;
  private final Duration streamDeadline;
  private final Executor executor;

  private SupportabilityClient(
      Builder builder,
      ManagedChannel ownedChannel,
      Channel baseChannel,
      ClientEventLoop eventLoop) {
    this.ownedChannel = ownedChannel;
    this.eventLoop = eventLoop;
    this.defaultDeadline = builder.defaultDeadline;
    this.streamDeadline = builder.streamDeadline;
    this.executor = builder.executor;
    // The listener interceptor is added last so it runs first and times the whole call.
    this.channel =
        ClientInterceptors.intercept(
            baseChannel,
            CallInterceptors.headers(builder.bearerToken),
            CallInterceptors.listeners(List.copyOf(builder.listeners)));
  }

  /**
   * Starts building a client.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  // ---- PredictCase ----

  /**
   * Predicts one case.
   *
   * @param supportCase the case
   * @return the prediction and the request id
   * @throws SupportabilityException when the call fails
   */
  public PredictCaseResponse predictCase(SupportCase supportCase) {
    return predictCase(supportCase, RequestOptions.defaults());
  }

  /**
   * Predicts one case with per-call options.
   *
   * @param supportCase the case
   * @param options the call's deadline, headers and request id
   * @return the prediction and the request id
   * @throws SupportabilityException when the call fails
   */
  public PredictCaseResponse predictCase(SupportCase supportCase, RequestOptions options) {
    return predictCase(
        PredictCaseRequest.newBuilder().setSupportCase(supportCase).build(), options);
  }

  /**
   * Sends a {@code PredictCase} request (to choose the model version or the options).
   *
   * @param request the request
   * @return the response
   * @throws SupportabilityException when the call fails
   */
  public PredictCaseResponse predictCase(PredictCaseRequest request) {
    return predictCase(request, RequestOptions.defaults());
  }

  /**
   * Sends a {@code PredictCase} request with per-call options.
   *
   * @param request the request
   * @param options the call's deadline, headers and request id
   * @return the response
   * @throws SupportabilityException when the call fails
   */
  public PredictCaseResponse predictCase(PredictCaseRequest request, RequestOptions options) {
    request = withRequestId(request, options);
    return blockingCall(
        PredictionServiceGrpc.getPredictCaseMethod(), request, request.getRequestId(), options);
  }

  /**
   * Predicts one case without blocking.
   *
   * @param supportCase the case
   * @return the response, or a failed future holding a {@link SupportabilityException}
   */
  public CompletableFuture<PredictCaseResponse> predictCaseAsync(SupportCase supportCase) {
    return predictCaseAsync(supportCase, RequestOptions.defaults());
  }

  /**
   * Predicts one case without blocking, with per-call options.
   *
   * @param supportCase the case
   * @param options the call's deadline, headers and request id
   * @return the response, or a failed future holding a {@link SupportabilityException}
   */
  public CompletableFuture<PredictCaseResponse> predictCaseAsync(
      SupportCase supportCase, RequestOptions options) {
    return predictCaseAsync(
        PredictCaseRequest.newBuilder().setSupportCase(supportCase).build(), options);
  }

  /**
   * Sends a {@code PredictCase} request without blocking.
   *
   * @param request the request
   * @return the response, or a failed future holding a {@link SupportabilityException}
   */
  public CompletableFuture<PredictCaseResponse> predictCaseAsync(PredictCaseRequest request) {
    return predictCaseAsync(request, RequestOptions.defaults());
  }

  /**
   * Sends a {@code PredictCase} request without blocking, with per-call options. Cancelling the
   * future cancels the call.
   *
   * @param request the request
   * @param options the call's deadline, headers and request id
   * @return the response, or a failed future holding a {@link SupportabilityException}
   */
  public CompletableFuture<PredictCaseResponse> predictCaseAsync(
      PredictCaseRequest request, RequestOptions options) {
    request = withRequestId(request, options);
    return futureCall(
        PredictionServiceGrpc.getPredictCaseMethod(), request, request.getRequestId(), options);
  }

  // ---- BatchPredictCases ----

  /**
   * Predicts up to 1,000 cases in one call. The whole batch fails if any case is invalid; the field
   * violations name the cases by index ({@code "support_cases[3].subject"}).
   *
   * @param supportCases the cases
   * @return one prediction per case, in order
   * @throws SupportabilityException when the call fails
   */
  public BatchPredictCasesResponse batchPredictCases(List<SupportCase> supportCases) {
    return batchPredictCases(
        BatchPredictCasesRequest.newBuilder().addAllSupportCases(supportCases).build(),
        RequestOptions.defaults());
  }

  /**
   * Sends a {@code BatchPredictCases} request.
   *
   * @param request the request
   * @return the response
   * @throws SupportabilityException when the call fails
   */
  public BatchPredictCasesResponse batchPredictCases(BatchPredictCasesRequest request) {
    return batchPredictCases(request, RequestOptions.defaults());
  }

  /**
   * Sends a {@code BatchPredictCases} request with per-call options.
   *
   * @param request the request
   * @param options the call's deadline, headers and request id
   * @return the response
   * @throws SupportabilityException when the call fails
   */
  public BatchPredictCasesResponse batchPredictCases(
      BatchPredictCasesRequest request, RequestOptions options) {
    request = withRequestId(request, options);
    return blockingCall(
        PredictionServiceGrpc.getBatchPredictCasesMethod(),
        request,
        request.getRequestId(),
        options);
  }

  /**
   * Predicts up to 1,000 cases without blocking.
   *
   * @param supportCases the cases
   * @return the response, or a failed future holding a {@link SupportabilityException}
   */
  public CompletableFuture<BatchPredictCasesResponse> batchPredictCasesAsync(
      List<SupportCase> supportCases) {
    return batchPredictCasesAsync(
        BatchPredictCasesRequest.newBuilder().addAllSupportCases(supportCases).build(),
        RequestOptions.defaults());
  }

  /**
   * Sends a {@code BatchPredictCases} request without blocking, with per-call options.
   *
   * @param request the request
   * @param options the call's deadline, headers and request id
   * @return the response, or a failed future holding a {@link SupportabilityException}
   */
  public CompletableFuture<BatchPredictCasesResponse> batchPredictCasesAsync(
      BatchPredictCasesRequest request, RequestOptions options) {
    request = withRequestId(request, options);
    return futureCall(
        PredictionServiceGrpc.getBatchPredictCasesMethod(),
        request,
        request.getRequestId(),
        options);
  }

  // ---- StreamPredictCases ----

  /**
   * Opens a prediction stream for high-volume callers, with the default stream deadline and at most
   * {@value #DEFAULT_STREAM_MAX_IN_FLIGHT} cases outstanding.
   *
   * @return the open stream; close it when done
   */
  public PredictionStream openPredictionStream() {
    return openPredictionStream(RequestOptions.defaults(), DEFAULT_STREAM_MAX_IN_FLIGHT);
  }

  /**
   * Opens a prediction stream. The deadline covers the whole stream; the request id of the options
   * is ignored (each message carries its own).
   *
   * @param options the stream's deadline (default {@link Builder#streamDeadline}) and headers
   * @param maxInFlight how many cases may await their prediction before {@link
   *     PredictionStream#predict} blocks
   * @return the open stream; close it when done
   */
  public PredictionStream openPredictionStream(RequestOptions options, int maxInFlight) {
    ClientCall<StreamPredictCasesRequest, StreamPredictCasesResponse> call =
        channel.newCall(
            PredictionServiceGrpc.getStreamPredictCasesMethod(),
            callOptions(options.deadline().orElse(streamDeadline), "", options));
    return new PredictionStream(call, maxInFlight);
  }

  // ---- ModelService ----

  /**
   * Lists the first page of model versions, newest first.
   *
   * @return the model versions
   * @throws SupportabilityException when the call fails
   */
  public ListModelsResponse listModels() {
    return listModels(ListModelsRequest.getDefaultInstance(), RequestOptions.defaults());
  }

  /**
   * Lists model versions, one page per call.
   *
   * @param request the page size and token
   * @param options the call's deadline and headers
   * @return the page
   * @throws SupportabilityException when the call fails
   */
  public ListModelsResponse listModels(ListModelsRequest request, RequestOptions options) {
    return blockingCall(ModelServiceGrpc.getListModelsMethod(), request, "", options);
  }

  /**
   * Gets one model version.
   *
   * @param version the version, or {@code ""} for the promoted one
   * @return the model version
   * @throws NotFoundException when there is no such version
   * @throws SupportabilityException when the call fails otherwise
   */
  public GetModelResponse getModel(String version) {
    return getModel(
        GetModelRequest.newBuilder().setVersion(version).build(), RequestOptions.defaults());
  }

  /**
   * Sends a {@code GetModel} request with per-call options.
   *
   * @param request the request
   * @param options the call's deadline and headers
   * @return the response
   * @throws SupportabilityException when the call fails
   */
  public GetModelResponse getModel(GetModelRequest request, RequestOptions options) {
    return blockingCall(ModelServiceGrpc.getGetModelMethod(), request, "", options);
  }

  /**
   * Lists the experiments that compare model versions on live traffic, with the arms the server is
   * assigning to.
   *
   * @return every experiment, by name
   * @throws SupportabilityException when the call fails
   */
  public ListExperimentsResponse listExperiments() {
    return blockingCall(
        ModelServiceGrpc.getListExperimentsMethod(),
        ListExperimentsRequest.getDefaultInstance(),
        "",
        RequestOptions.defaults());
  }

  /**
   * Gets one experiment by name.
   *
   * @param name the experiment's name
   * @return the experiment
   * @throws NotFoundException when there is no such experiment
   * @throws SupportabilityException when the call fails otherwise
   */
  public GetExperimentResponse getExperiment(String name) {
    return blockingCall(
        ModelServiceGrpc.getGetExperimentMethod(),
        GetExperimentRequest.newBuilder().setName(name).build(),
        "",
        RequestOptions.defaults());
  }

  // ---- OutcomeService ----

  /**
   * Records what really happened to a predicted case. Name the prediction by {@code prediction_id}
   * (from {@link dev.supportability.v1.CasePrediction#getPredictionId()}) or by {@code case_id}
   * (its latest prediction), and set any subset of the outcome fields, at once or over several
   * calls. Sending the same outcome again changes nothing and returns the same answer, so the call
   * is safe to retry.
   *
   * @param outcome the outcome
   * @return the prediction's outcome as stored after the call, and the request id
   * @throws NotFoundException when the store holds no such prediction ({@code
   *     PREDICTION_NOT_FOUND})
   * @throws ConflictException when a field already recorded is given another value and the outcome
   *     is not a {@code correction} ({@code OUTCOME_CONFLICT}); nothing was changed
   * @throws InvalidRequestException when the outcome is invalid ({@code INVALID_OUTCOME}), with its
   *     field violations
   * @throws UnavailableException when the store stayed unavailable through the retries ({@code
   *     STORE_UNAVAILABLE}); nothing was recorded
   * @throws SupportabilityException when the call fails otherwise
   */
  public RecordOutcomeResponse recordOutcome(Outcome outcome) {
    return recordOutcome(outcome, RequestOptions.defaults());
  }

  /**
   * Records an outcome with per-call options. See {@link #recordOutcome(Outcome)}.
   *
   * @param outcome the outcome
   * @param options the call's deadline, headers and request id
   * @return the prediction's outcome as stored after the call, and the request id
   * @throws SupportabilityException when the call fails
   */
  public RecordOutcomeResponse recordOutcome(Outcome outcome, RequestOptions options) {
    return recordOutcome(RecordOutcomeRequest.newBuilder().setOutcome(outcome).build(), options);
  }

  /**
   * Sends a {@code RecordOutcome} request. See {@link #recordOutcome(Outcome)}.
   *
   * @param request the request
   * @return the response
   * @throws SupportabilityException when the call fails
   */
  public RecordOutcomeResponse recordOutcome(RecordOutcomeRequest request) {
    return recordOutcome(request, RequestOptions.defaults());
  }

  /**
   * Sends a {@code RecordOutcome} request with per-call options. See {@link
   * #recordOutcome(Outcome)}.
   *
   * @param request the request
   * @param options the call's deadline, headers and request id
   * @return the response
   * @throws SupportabilityException when the call fails
   */
  public RecordOutcomeResponse recordOutcome(RecordOutcomeRequest request, RequestOptions options) {
    request = withRequestId(request, options);
    return blockingCall(
        OutcomeServiceGrpc.getRecordOutcomeMethod(), request, request.getRequestId(), options);
  }

  /**
   * Records an outcome without blocking. See {@link #recordOutcome(Outcome)}.
   *
   * @param outcome the outcome
   * @return the response, or a failed future holding a {@link SupportabilityException}
   */
  public CompletableFuture<RecordOutcomeResponse> recordOutcomeAsync(Outcome outcome) {
    return recordOutcomeAsync(outcome, RequestOptions.defaults());
  }

  /**
   * Records an outcome without blocking, with per-call options.
   *
   * @param outcome the outcome
   * @param options the call's deadline, headers and request id
   * @return the response, or a failed future holding a {@link SupportabilityException}
   */
  public CompletableFuture<RecordOutcomeResponse> recordOutcomeAsync(
      Outcome outcome, RequestOptions options) {
    return recordOutcomeAsync(
        RecordOutcomeRequest.newBuilder().setOutcome(outcome).build(), options);
  }

  /**
   * Sends a {@code RecordOutcome} request without blocking, with per-call options. Cancelling the
   * future cancels the call (the outcome may be recorded all the same).
   *
   * @param request the request
   * @param options the call's deadline, headers and request id
   * @return the response, or a failed future holding a {@link SupportabilityException}
   */
  public CompletableFuture<RecordOutcomeResponse> recordOutcomeAsync(
      RecordOutcomeRequest request, RequestOptions options) {
    request = withRequestId(request, options);
    return futureCall(
        OutcomeServiceGrpc.getRecordOutcomeMethod(), request, request.getRequestId(), options);
  }

  /**
   * Records up to 1,000 outcomes in one transaction: all of them, or none when any is invalid,
   * unknown or in conflict (the error's field violations or message name it by index, {@code
   * "outcomes[3].csat_score"}).
   *
   * @param outcomes the outcomes
   * @return one stored outcome per outcome, in order
   * @throws SupportabilityException when the call fails, as for {@link #recordOutcome(Outcome)}
   */
  public BatchRecordOutcomesResponse batchRecordOutcomes(List<Outcome> outcomes) {
    return batchRecordOutcomes(outcomes, RequestOptions.defaults());
  }

  /**
   * Records up to 1,000 outcomes in one transaction, with per-call options.
   *
   * @param outcomes the outcomes
   * @param options the call's deadline, headers and request id
   * @return one stored outcome per outcome, in order
   * @throws SupportabilityException when the call fails
   */
  public BatchRecordOutcomesResponse batchRecordOutcomes(
      List<Outcome> outcomes, RequestOptions options) {
    return batchRecordOutcomes(
        BatchRecordOutcomesRequest.newBuilder().addAllOutcomes(outcomes).build(), options);
  }

  /**
   * Sends a {@code BatchRecordOutcomes} request.
   *
   * @param request the request
   * @return the response
   * @throws SupportabilityException when the call fails
   */
  public BatchRecordOutcomesResponse batchRecordOutcomes(BatchRecordOutcomesRequest request) {
    return batchRecordOutcomes(request, RequestOptions.defaults());
  }

  /**
   * Sends a {@code BatchRecordOutcomes} request with per-call options.
   *
   * @param request the request
   * @param options the call's deadline, headers and request id
   * @return the response
   * @throws SupportabilityException when the call fails
   */
  public BatchRecordOutcomesResponse batchRecordOutcomes(
      BatchRecordOutcomesRequest request, RequestOptions options) {
    request = withRequestId(request, options);
    return blockingCall(
        OutcomeServiceGrpc.getBatchRecordOutcomesMethod(),
        request,
        request.getRequestId(),
        options);
  }

  /**
   * Records up to 1,000 outcomes without blocking.
   *
   * @param outcomes the outcomes
   * @return the response, or a failed future holding a {@link SupportabilityException}
   */
  public CompletableFuture<BatchRecordOutcomesResponse> batchRecordOutcomesAsync(
      List<Outcome> outcomes) {
    return batchRecordOutcomesAsync(
        BatchRecordOutcomesRequest.newBuilder().addAllOutcomes(outcomes).build(),
        RequestOptions.defaults());
  }

  /**
   * Sends a {@code BatchRecordOutcomes} request without blocking, with per-call options.
   *
   * @param request the request
   * @param options the call's deadline, headers and request id
   * @return the response, or a failed future holding a {@link SupportabilityException}
   */
  public CompletableFuture<BatchRecordOutcomesResponse> batchRecordOutcomesAsync(
      BatchRecordOutcomesRequest request, RequestOptions options) {
    request = withRequestId(request, options);
    return futureCall(
        OutcomeServiceGrpc.getBatchRecordOutcomesMethod(),
        request,
        request.getRequestId(),
        options);
  }

  /**
   * Gets a stored prediction, as it was served, joined with its recorded outcome and the outcome's
   * revisions.
   *
   * @param predictionId the {@code prediction_id} of a {@link dev.supportability.v1.CasePrediction}
   * @return the prediction record
   * @throws NotFoundException when the store holds no such prediction
   * @throws SupportabilityException when the call fails otherwise
   */
  public GetPredictionRecordResponse getPredictionRecordByPredictionId(String predictionId) {
    return getPredictionRecord(
        GetPredictionRecordRequest.newBuilder()
            .setPredictionId(Objects.requireNonNull(predictionId, "predictionId"))
            .build(),
        RequestOptions.defaults());
  }

  /**
   * Gets the latest stored prediction made for a case, joined with its outcome.
   *
   * @param caseId the case's {@code case_id}
   * @return the prediction record
   * @throws NotFoundException when no prediction was stored for the case
   * @throws SupportabilityException when the call fails otherwise
   */
  public GetPredictionRecordResponse getPredictionRecordByCaseId(String caseId) {
    return getPredictionRecord(
        GetPredictionRecordRequest.newBuilder()
            .setCaseId(Objects.requireNonNull(caseId, "caseId"))
            .build(),
        RequestOptions.defaults());
  }

  /**
   * Sends a {@code GetPredictionRecord} request, which names the prediction by {@code
   * prediction_id} or {@code case_id}.
   *
   * @param request the request
   * @return the response
   * @throws SupportabilityException when the call fails
   */
  public GetPredictionRecordResponse getPredictionRecord(GetPredictionRecordRequest request) {
    return getPredictionRecord(request, RequestOptions.defaults());
  }

  /**
   * Sends a {@code GetPredictionRecord} request with per-call options.
   *
   * @param request the request
   * @param options the call's deadline and headers
   * @return the response
   * @throws SupportabilityException when the call fails
   */
  public GetPredictionRecordResponse getPredictionRecord(
      GetPredictionRecordRequest request, RequestOptions options) {
    return blockingCall(OutcomeServiceGrpc.getGetPredictionRecordMethod(), request, "", options);
  }

  /**
   * Sends a {@code GetPredictionRecord} request without blocking.
   *
   * @param request the request
   * @param options the call's deadline and headers
   * @return the response, or a failed future holding a {@link SupportabilityException}
   */
  public CompletableFuture<GetPredictionRecordResponse> getPredictionRecordAsync(
      GetPredictionRecordRequest request, RequestOptions options) {
    return futureCall(OutcomeServiceGrpc.getGetPredictionRecordMethod(), request, "", options);
  }

  /**
   * Closes the channel the client built, waiting up to 5 s for calls in flight. A channel passed to
   * {@link Builder#channel(Channel)} belongs to the caller and stays open.
   */
  @Override
  public void close() {
    if (ownedChannel == null) {
      return;
    }
    ownedChannel.shutdown();
    try {
      if (!ownedChannel.awaitTermination(SHUTDOWN_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        ownedChannel.shutdownNow();
      }
    } catch (InterruptedException e) {
      ownedChannel.shutdownNow();
      Thread.currentThread().interrupt();
    } finally {
      if (eventLoop != null) {
        eventLoop.close(SHUTDOWN_GRACE);
      }
    }
  }

  // ---- internals ----

  private static PredictCaseRequest withRequestId(
      PredictCaseRequest request, RequestOptions options) {
    String id = requestId(request.getRequestId(), options);
    return id.equals(request.getRequestId())
        ? request
        : request.toBuilder().setRequestId(id).build();
  }

  private static BatchPredictCasesRequest withRequestId(
      BatchPredictCasesRequest request, RequestOptions options) {
    String id = requestId(request.getRequestId(), options);
    return id.equals(request.getRequestId())
        ? request
        : request.toBuilder().setRequestId(id).build();
  }

  private static RecordOutcomeRequest withRequestId(
      RecordOutcomeRequest request, RequestOptions options) {
    String id = requestId(request.getRequestId(), options);
    return id.equals(request.getRequestId())
        ? request
        : request.toBuilder().setRequestId(id).build();
  }

  private static BatchRecordOutcomesRequest withRequestId(
      BatchRecordOutcomesRequest request, RequestOptions options) {
    String id = requestId(request.getRequestId(), options);
    return id.equals(request.getRequestId())
        ? request
        : request.toBuilder().setRequestId(id).build();
  }

  /** The per-call option wins over the request's own id; a UUID is made when neither is set. */
  private static String requestId(String fromRequest, RequestOptions options) {
    return options
        .requestId()
        .orElseGet(() -> fromRequest.isEmpty() ? UUID.randomUUID().toString() : fromRequest);
  }

  private CallOptions callOptions(Duration deadline, String requestId, RequestOptions options) {
    CallOptions callOptions =
        CallOptions.DEFAULT
            .withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS)
            .withOption(CallInterceptors.REQUEST_ID, requestId)
            .withOption(CallInterceptors.HEADERS, options.headers());
    return executor == null ? callOptions : callOptions.withExecutor(executor);
  }

  /**
   * Makes a unary call and waits for it. The call completes on the transport's thread, which wakes
   * the caller once. (gRPC's blocking stub hands each event of the call, the headers, then the
   * message and the close, to the waiting thread: two wake-ups per call, and each one, on a busy
   * machine, a chance to wait for a core.)
   */
  private <Q, R> R blockingCall(
      MethodDescriptor<Q, R> method, Q request, String requestId, RequestOptions options) {
    ClientCall<Q, R> call =
        channel.newCall(
            method,
            callOptions(options.deadline().orElse(defaultDeadline), requestId, options)
                .withExecutor(MoreExecutors.directExecutor()));
    CompletableFuture<R> response = new CompletableFuture<>();
    ClientCalls.asyncUnaryCall(call, request, completing(response, failure -> failure));
    try {
      return response.get();
    } catch (ExecutionException e) {
      throw Errors.fromThrowable(e.getCause(), requestId); // made here, with the caller's stack
    } catch (InterruptedException e) {
      call.cancel("Thread interrupted", e);
      Thread.currentThread().interrupt();
      throw Errors.fromThrowable(
          Status.CANCELLED.withDescription("Thread interrupted").withCause(e).asRuntimeException(),
          requestId);
    }
  }

  /**
   * Completes the future when the call closes (after the call listeners have heard of it, as with
   * gRPC's own blocking and future stubs): with the response, or with the failure as {@code
   * mapped}.
   */
  private static <R> StreamObserver<R> completing(
      CompletableFuture<R> future, UnaryOperator<Throwable> mapped) {
    return new StreamObserver<R>() {
      private R response;

      @Override
      public void onNext(R value) {
        response = value;
      }

      @Override
      public void onError(Throwable t) {
        future.completeExceptionally(mapped.apply(t));
      }

      @Override
      public void onCompleted() {
        if (response == null) { // a server that closed a unary call without answering
          onError(
              Status.INTERNAL.withDescription("No value received for unary call").asException());
        } else {
          future.complete(response);
        }
      }
    };
  }

  private <Q, R> CompletableFuture<R> futureCall(
      MethodDescriptor<Q, R> method, Q request, String requestId, RequestOptions options) {
    ClientCall<Q, R> call =
        channel.newCall(
            method, callOptions(options.deadline().orElse(defaultDeadline), requestId, options));
    CompletableFuture<R> future = new CompletableFuture<>();
    ClientCalls.asyncUnaryCall(
        call, request, completing(future, failure -> Errors.fromThrowable(failure, requestId)));
    future.whenComplete(
        (response, failure) -> {
          if (future.isCancelled()) {
            call.cancel("cancelled by the caller", null);
          }
        });
    return future;
  }

  private static String defaultUserAgent() {
    Properties properties = new Properties();
    try (InputStream in = SupportabilityClient.class.getResourceAsStream("client.properties")) {
      if (in != null) {
        properties.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return "supportability-java/" + properties.getProperty("version", "unknown");
  }

  /**
   * Builds a {@link SupportabilityClient}. Give exactly one of {@link #target}, {@link #addresses},
   * {@link #channel} or {@link #channelBuilder}; everything else is optional.
   */
  public static final class Builder {
    private String target;
    private List<InetSocketAddress> addresses;
    private Channel sharedChannel;
    private ManagedChannelBuilder<?> channelBuilder;
    private boolean tls;
    private Path trustedCertificates;
    private Path clientCertificateChain;
    private Path clientPrivateKey;
    private Supplier<String> bearerToken;
    private Duration defaultDeadline = DEFAULT_DEADLINE;
    private Duration streamDeadline = DEFAULT_STREAM_DEADLINE;
    private boolean retries = true;
    private Integer maxRetryAttempts;
    private String userAgent;
    private Executor executor;
    private final List<CallListener> listeners = new ArrayList<>();

    private Builder() {}

    /**
     * Connects to one gRPC target: {@code "host:port"}, or {@code "dns:///host:port"} to spread
     * calls round-robin over every address the name resolves to.
     *
     * @param target the target
     * @return this builder
     */
    public Builder target(String target) {
      this.target = Objects.requireNonNull(target, "target");
      return this;
    }

    /**
     * Connects to a fixed list of servers and spreads calls over them round-robin.
     *
     * @param hostPorts the servers, each {@code "host:port"}
     * @return this builder
     */
    public Builder addresses(List<String> hostPorts) {
      List<InetSocketAddress> parsed = new ArrayList<>();
      for (String hostPort : hostPorts) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0) {
          throw new IllegalArgumentException("expected host:port, got " + hostPort);
        }
        String host = hostPort.substring(0, colon).replace("[", "").replace("]", "");
        parsed.add(new InetSocketAddress(host, Integer.parseInt(hostPort.substring(colon + 1))));
      }
      this.addresses = List.copyOf(parsed);
      return this;
    }

    /**
     * Uses a channel the caller already has (and keeps: {@link SupportabilityClient#close()} leaves
     * it open). Its own settings stand: TLS, user agent and retry policy cannot be set on the
     * client then. Deadlines, token, request ids and listeners still apply.
     *
     * @param channel the channel to share
     * @return this builder
     */
    public Builder channel(Channel channel) {
      this.sharedChannel = Objects.requireNonNull(channel, "channel");
      return this;
    }

    /**
     * Builds the channel from a channel builder the caller prepared, for full control of the
     * transport (for example {@code NettyChannelBuilder} options, or an in-process channel in
     * tests). The client applies its retry policy, user agent and executor, and owns the channel.
     * TLS and load balancing are the builder's business then.
     *
     * @param channelBuilder the prepared builder
     * @return this builder
     */
    public Builder channelBuilder(ManagedChannelBuilder<?> channelBuilder) {
      this.channelBuilder = Objects.requireNonNull(channelBuilder, "channelBuilder");
      return this;
    }

    /**
     * Uses TLS, trusting the JVM's default certificate authorities.
     *
     * @return this builder
     */
    public Builder useTls() {
      this.tls = true;
      return this;
    }

    /**
     * Uses TLS, trusting the certificate authorities in a PEM file instead of the JVM's.
     *
     * @param caCertificatesPem the PEM file
     * @return this builder
     */
    public Builder trustCertificates(Path caCertificatesPem) {
      this.trustedCertificates = Objects.requireNonNull(caCertificatesPem, "caCertificatesPem");
      this.tls = true;
      return this;
    }

    /**
     * Uses mutual TLS: presents this certificate to servers that ask for one.
     *
     * @param certificateChainPem the client certificate chain, PEM
     * @param privateKeyPem its unencrypted PKCS#8 private key, PEM
     * @return this builder
     */
    public Builder clientCertificate(Path certificateChainPem, Path privateKeyPem) {
      this.clientCertificateChain =
          Objects.requireNonNull(certificateChainPem, "certificateChainPem");
      this.clientPrivateKey = Objects.requireNonNull(privateKeyPem, "privateKeyPem");
      this.tls = true;
      return this;
    }

    /**
     * Sends {@code authorization: Bearer <token>} with every call.
     *
     * @param token the token
     * @return this builder
     */
    public Builder bearerToken(String token) {
      Objects.requireNonNull(token, "token");
      return bearerToken(() -> token);
    }

    /**
     * Sends {@code authorization: Bearer <token>} with every call, asking the supplier each time so
     * that a rotated token is picked up.
     *
     * @param token supplies the current token; called on every call, so make it cheap
     * @return this builder
     */
    public Builder bearerToken(Supplier<String> token) {
      this.bearerToken = Objects.requireNonNull(token, "token");
      return this;
    }

    /**
     * Sets the deadline of unary calls that set none themselves. Default: 5 s.
     *
     * @param deadline positive
     * @return this builder
     */
    public Builder defaultDeadline(Duration deadline) {
      this.defaultDeadline = RequestOptions.positive(deadline, "defaultDeadline");
      return this;
    }

    /**
     * Sets the deadline of prediction streams that set none themselves. Default: 10 minutes.
     *
     * @param deadline positive
     * @return this builder
     */
    public Builder streamDeadline(Duration deadline) {
      this.streamDeadline = RequestOptions.positive(deadline, "streamDeadline");
      return this;
    }

    /**
     * Turns the contract's retry policy (retry UNAVAILABLE up to 4 attempts, exponential backoff
     * from 0.1 s to 2 s with jitter) on or off. Default: on.
     *
     * @param enabled whether to retry
     * @return this builder
     */
    public Builder retries(boolean enabled) {
      this.retries = enabled;
      return this;
    }

    /**
     * Caps the attempts per call below the contract's 4.
     *
     * @param maxAttempts at least 1 (which is the same as turning retries off)
     * @return this builder
     */
    public Builder maxRetryAttempts(int maxAttempts) {
      if (maxAttempts < 1) {
        throw new IllegalArgumentException("maxAttempts must be at least 1: " + maxAttempts);
      }
      this.maxRetryAttempts = maxAttempts;
      return this;
    }

    /**
     * Sets the user agent, prepended to gRPC's own. Default: {@code supportability-java/<version>}.
     *
     * @param userAgent the user agent
     * @return this builder
     */
    public Builder userAgent(String userAgent) {
      this.userAgent = Objects.requireNonNull(userAgent, "userAgent");
      return this;
    }

    /**
     * Runs the callbacks of non-blocking calls (future completions, stream results, their
     * listeners) on this executor instead of gRPC's shared pool. Blocking calls complete on the
     * transport's thread either way (their listeners run there), which wakes the calling thread
     * once.
     *
     * @param executor the executor, which the caller shuts down
     * @return this builder
     */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * Adds a listener told about every finished call.
     *
     * @param listener the listener
     * @return this builder
     */
    public Builder callListener(CallListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * Builds the client.
     *
     * @return the client
     * @throws IllegalStateException when the settings contradict each other
     */
    public SupportabilityClient build() {
      int sources =
          (target != null ? 1 : 0)
              + (addresses != null ? 1 : 0)
              + (sharedChannel != null ? 1 : 0)
              + (channelBuilder != null ? 1 : 0);
      if (sources != 1) {
        throw new IllegalStateException(
            "give exactly one of target, addresses, channel or channelBuilder");
      }
      if (tls && (sharedChannel != null || channelBuilder != null)) {
        throw new IllegalStateException("TLS is set on the channel when one is given");
      }
      if (sharedChannel != null) {
        if (userAgent != null || maxRetryAttempts != null || !retries) {
          throw new IllegalStateException(
              "user agent and retries are set on the channel when one is shared");
        }
        return new SupportabilityClient(this, null, sharedChannel, null);
      }
      if (channelBuilder != null) {
        ManagedChannel owned = configure(channelBuilder).build();
        return new SupportabilityClient(this, owned, owned, null);
      }
      ManagedChannelBuilder<?> builder = newChannelBuilder();
      ClientEventLoop eventLoop = ClientEventLoop.attachTo(builder, target);
      try {
        ManagedChannel owned = configure(builder).build();
        return new SupportabilityClient(this, owned, owned, eventLoop);
      } catch (RuntimeException e) {
        if (eventLoop != null) {
          eventLoop.close(Duration.ZERO);
        }
        throw e;
      }
    }

    private ManagedChannelBuilder<?> newChannelBuilder() {
      ChannelCredentials credentials = credentials();
      ManagedChannelBuilder<?> builder;
      if (target != null) {
        builder = Grpc.newChannelBuilder(target, credentials);
      } else {
        // The static-list resolver lives in this channel's own registry: no global state.
        NameResolverRegistry registry = new NameResolverRegistry();
        registry.register(new StaticAddressResolverProvider(addresses));
        builder =
            Grpc.newChannelBuilder(StaticAddressResolverProvider.TARGET, credentials, registry);
      }
      // Spread calls over every address the target resolves to, not just the first.
      return builder.defaultLoadBalancingPolicy("round_robin");
    }

    private ChannelCredentials credentials() {
      if (!tls) {
        return InsecureChannelCredentials.create();
      }
      TlsChannelCredentials.Builder credentials = TlsChannelCredentials.newBuilder();
      try {
        if (trustedCertificates != null) {
          credentials.trustManager(trustedCertificates.toFile());
        }
        if (clientCertificateChain != null) {
          credentials.keyManager(clientCertificateChain.toFile(), clientPrivateKey.toFile());
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read TLS certificates or key", e);
      }
      return credentials.build();
    }

    private ManagedChannelBuilder<?> configure(ManagedChannelBuilder<?> builder) {
      builder
          .userAgent(userAgent != null ? userAgent : defaultUserAgent())
          .defaultServiceConfig(ServiceConfig.load());
      if (retries) {
        builder.enableRetry();
        if (maxRetryAttempts != null) {
          builder.maxRetryAttempts(maxRetryAttempts);
        }
      } else {
        builder.disableRetry();
      }
      if (executor != null) {
        builder.executor(executor);
      }
      return builder;
    }
  }
}
