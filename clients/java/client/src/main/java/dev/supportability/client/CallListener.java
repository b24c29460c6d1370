package dev.supportability.client;

import io.grpc.Status;
import java.time.Duration;

/**
 * Receives one event per finished call, to feed a service's own metrics or logs. Register it with
 * {@link SupportabilityClient.Builder#callListener(CallListener)}.
 *
 * <p>Called on a gRPC thread once the call is over (retries included), for a blocking call on the
 * thread that does the connection's I/O, before the call returns: keep it quick and non-blocking.
 * An exception it throws is logged and otherwise ignored.
 */
@FunctionalInterface
public interface CallListener {

  /**
   * Called when a call has finished, successfully or not.
   *
   * @param call what happened
   */
  void onCallCompleted(CallInfo call);

  /**
   * One finished call.
   *
   * @param method the full gRPC method name, for example {@code
   *     "supportability.v1.PredictionService/PredictCase"}
   * @param duration from the start of the call to its end, retries included
   * @param statusCode the final status; {@link Status.Code#OK} on success
   * @param requestId the request id sent, or empty for calls that carry none (model listing,
   *     prediction streams, whose messages carry their own)
   */
  record CallInfo(String method, Duration duration, Status.Code statusCode, String requestId) {}
}
