package dev.supportability.client;

import dev.supportability.v1.CasePrediction;
import dev.supportability.v1.StreamPredictCasesRequest;
import dev.supportability.v1.StreamPredictCasesResponse;
import dev.supportability.v1.SupportCase;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;

/**
 * One open {@code StreamPredictCases} stream, for callers that predict many cases one by one: each
 * case costs one message on a long-lived stream instead of a call of its own. Open it with {@link
 * SupportabilityClient#openPredictionStream()}; thread-safe.
 *
 * <pre>{@code
 * try (PredictionStream stream = client.openPredictionStream()) {
 *   for (SupportCase c : cases) {
 *     stream.predict(c).thenAccept(prediction -> route(c, prediction));
 *   }
 * } // close() waits for the outstanding predictions
 * }</pre>
 *
 * <p>Each {@link #predict} returns a future that completes with the case's prediction, or
 * exceptionally with the typed {@link SupportabilityException} the same case would get from {@code
 * predictCase}; an invalid case fails only its own future. At most {@code maxInFlight} cases are
 * outstanding: {@code predict} blocks while the service catches up. Futures complete on a gRPC
 * thread, so keep their continuations short or use the {@code *Async} variants.
 */
public final class PredictionStream implements AutoCloseable {
  private final ClientCall<StreamPredictCasesRequest, StreamPredictCasesResponse> call;
  private final Semaphore inFlight;
  private final CompletableFuture<Void> done = new CompletableFuture<>();
  private final Object lock = new Object();
  // The cases sent and not yet answered, oldest first: the service answers in order.
  private final Deque<Pending> pending = new ArrayDeque<>(); // guarded by lock
  private boolean halfClosed; // guarded by lock
  private SupportabilityException ended; // why new cases are refused; guarded by lock

  private record Pending(String requestId, CompletableFuture<CasePrediction> future) {}

  PredictionStream(
      ClientCall<StreamPredictCasesRequest, StreamPredictCasesResponse> call, int maxInFlight) {
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("maxInFlight must be at least 1: " + maxInFlight);
    }
    this.call = call;
    this.inFlight = new Semaphore(maxInFlight);
    call.start(new ResponseListener(), new Metadata());
    call.request(maxInFlight);
  }

  /**
   * Sends one case.
   *
   * @param supportCase the case
   * @return its prediction, when it arrives
   */
  public CompletableFuture<CasePrediction> predict(SupportCase supportCase) {
    return predict(StreamPredictCasesRequest.newBuilder().setSupportCase(supportCase).build());
  }

  /**
   * Sends one request message; a request id is generated when it has none.
   *
   * @param request the message
   * @return the prediction of its case, when it arrives
   * @throws IllegalStateException when the stream was closed
   */
  public CompletableFuture<CasePrediction> predict(StreamPredictCasesRequest request) {
    if (request.getRequestId().isEmpty()) {
      request = request.toBuilder().setRequestId(UUID.randomUUID().toString()).build();
    }
    CompletableFuture<CasePrediction> future = new CompletableFuture<>();
    try {
      inFlight.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      future.completeExceptionally(e);
      return future;
    }
    synchronized (lock) {
      if (halfClosed) {
        inFlight.release();
        throw new IllegalStateException("the prediction stream is closed");
      }
      if (ended != null) {
        inFlight.release();
        future.completeExceptionally(ended);
        return future;
      }
      pending.add(new Pending(request.getRequestId(), future));
      call.sendMessage(request);
    }
    return future;
  }

  /**
   * Tells the service no more cases follow, and waits until every outstanding prediction has
   * arrived (bounded by the stream's deadline).
   *
   * @throws SupportabilityException when the stream itself failed, for example on a missing token
   *     or when its deadline passed
   */
  @Override
  public void close() {
    synchronized (lock) {
      if (!halfClosed) {
        halfClosed = true;
        if (ended == null) {
          call.halfClose();
        }
      }
    }
    try {
      done.join();
    } catch (CompletionException e) {
      throw (SupportabilityException) e.getCause();
    }
  }

  private final class ResponseListener extends ClientCall.Listener<StreamPredictCasesResponse> {
    @Override
    public void onMessage(StreamPredictCasesResponse response) {
      Pending answered;
      synchronized (lock) {
        answered = pending.poll();
        call.request(1);
      }
      if (answered == null) {
        return; // An answer to nothing: the service broke the one-answer-per-case rule; drop it.
      }
      inFlight.release();
      if (response.hasError()) {
        answered
            .future()
            .completeExceptionally(
                Errors.fromStatus(response.getError(), answered.requestId(), null));
      } else {
        answered.future().complete(response.getPrediction());
      }
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      SupportabilityException failure =
          status.isOk() ? null : Errors.fromThrowable(status.asRuntimeException(trailers), "");
      SupportabilityException endedBy =
          failure != null
              ? failure
              : Errors.fromStatus(
                  com.google.rpc.Status.newBuilder()
                      .setCode(Status.Code.CANCELLED.value())
                      .setMessage("the prediction stream has ended")
                      .build(),
                  "",
                  null);
      List<Pending> unanswered;
      synchronized (lock) {
        ended = endedBy;
        unanswered = new ArrayList<>(pending);
        pending.clear();
      }
      for (Pending p : unanswered) {
        inFlight.release();
        p.future().completeExceptionally(endedBy);
      }
      if (failure != null) {
        done.completeExceptionally(failure);
      } else {
        done.complete(null);
      }
    }
  }
}
