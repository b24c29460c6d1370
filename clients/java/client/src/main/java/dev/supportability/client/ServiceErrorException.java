package dev.supportability.client;

/**
 * The service could not answer: an internal failure, or a transient one ({@link
 * OverloadedException}, {@link UnavailableException}, {@link DeadlineExceededException}) that
 * {@link #isRetryable()} reports.
 */
public class ServiceErrorException extends SupportabilityException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message the human-readable message
   * @param details what the service said
   * @param cause the underlying gRPC exception, or {@code null}
   */
  public ServiceErrorException(String message, ErrorDetails details, Throwable cause) {
    super(message, details, cause);
  }
}
