package dev.supportability.client;

import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A failed call to the Supportability service. Unchecked, like the errors of most Java SDKs.
 *
 * <p>Catch a subclass to handle one kind of failure: {@link CallerErrorException} (the request has
 * to change: {@link InvalidRequestException}, {@link AuthenticationException}, {@link
 * NotFoundException}, {@link ConflictException}) or {@link ServiceErrorException} (the service
 * could not answer now: {@link OverloadedException}, {@link UnavailableException}, {@link
 * DeadlineExceededException}). An error that is neither (a call cancelled by the caller) is a plain
 * {@code SupportabilityException}.
 */
public class SupportabilityException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient ErrorDetails details;

  /**
   * Creates the exception.
   *
   * @param message the human-readable message
   * @param details what the service said
   * @param cause the underlying gRPC exception, or {@code null}
   */
  public SupportabilityException(String message, ErrorDetails details, Throwable cause) {
    super(message, cause);
    this.details = details;
  }

  /**
   * Returns everything the service said about the error.
   *
   * @return the details
   */
  public ErrorDetails getDetails() {
    return details;
  }

  /**
   * Returns the gRPC status code.
   *
   * @return the status code
   */
  public Status.Code getStatusCode() {
    return details.statusCode();
  }

  /**
   * Returns the {@code ErrorInfo} reason, for example {@code "INVALID_CASE"}, {@code "OVERLOADED"}
   * or {@code "UNAUTHENTICATED"}; empty when the error did not come from the service.
   *
   * @return the reason, never {@code null}
   */
  public String getReason() {
    return details.reason();
  }

  /**
   * Returns the request id of the failed call; quote it when reporting a problem.
   *
   * @return the request id, empty for calls that carry none
   */
  public String getRequestId() {
    return details.requestId();
  }

  /**
   * Returns the {@code ErrorInfo} metadata.
   *
   * @return the metadata, never {@code null}
   */
  public Map<String, String> getMetadata() {
    return details.metadata();
  }

  /**
   * Returns the invalid fields, when the service listed them.
   *
   * @return the field violations, never {@code null}
   */
  public List<FieldViolation> getFieldViolations() {
    return details.fieldViolations();
  }

  /**
   * Returns how long the service asked callers to wait before retrying.
   *
   * @return the retry delay, when the service gave one
   */
  public Optional<Duration> getRetryDelay() {
    return details.retryDelay();
  }

  /**
   * Whether the same request may succeed if sent again later. The client already retried
   * UNAVAILABLE errors per its retry policy before throwing.
   *
   * @return {@code true} for transient failures of the service
   */
  public boolean isRetryable() {
    return false;
  }
}
