package dev.supportability.client;

import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the service said about a failed call, taken from the {@code google.rpc.Status} in the {@code
 * grpc-status-details-bin} trailer.
 *
 * @param statusCode the gRPC status code
 * @param reason the {@code ErrorInfo.reason}, for example {@code "INVALID_CASE"}; empty when the
 *     error carried no {@code ErrorInfo} (for example a transport failure)
 * @param domain the {@code ErrorInfo.domain}, normally {@code "supportability.dev"}; may be empty
 * @param metadata the {@code ErrorInfo.metadata}
 * @param requestId the request id of the failed call: the service's, else the one the client sent;
 *     may be empty for calls that carry none (model listing)
 * @param fieldViolations the {@code BadRequest} field violations; empty when none
 * @param retryDelay the {@code RetryInfo.retry_delay}: how long the service asks callers to wait
 */
public record ErrorDetails(
    Status.Code statusCode,
    String reason,
    String domain,
    Map<String, String> metadata,
    String requestId,
    List<FieldViolation> fieldViolations,
    Optional<Duration> retryDelay) {

  /**
   * Creates the details, copying the collections so that they stay immutable.
   *
   * @param statusCode the gRPC status code
   * @param reason the {@code ErrorInfo.reason}, or empty
   * @param domain the {@code ErrorInfo.domain}, or empty
   * @param metadata the {@code ErrorInfo.metadata}
   * @param requestId the request id, or empty
   * @param fieldViolations the {@code BadRequest} field violations
   * @param retryDelay the {@code RetryInfo.retry_delay}, when given
   */
  public ErrorDetails {
    metadata = Map.copyOf(metadata);
    fieldViolations = List.copyOf(fieldViolations);
  }

  /**
   * Details with only a status code and a request id, for errors that did not come from the service
   * (for example when no connection could be made).
   *
   * @param statusCode the gRPC status code
   * @param requestId the request id the client sent, or empty
   * @return the details
   */
  public static ErrorDetails of(Status.Code statusCode, String requestId) {
    return new ErrorDetails(statusCode, "", "", Map.of(), requestId, List.of(), Optional.empty());
  }
}
