package dev.supportability.client;

/**
 * The service is at its concurrency limit and shed the call (status RESOURCE_EXHAUSTED, reason
 * {@code OVERLOADED}). Wait {@link #getRetryDelay()} before sending it again.
 */
public class OverloadedException extends ServiceErrorException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message the human-readable message
   * @param details what the service said
   * @param cause the underlying gRPC exception, or {@code null}
   */
  public OverloadedException(String message, ErrorDetails details, Throwable cause) {
    super(message, details, cause);
  }

  /** {@inheritDoc} */
  @Override
  public boolean isRetryable() {
    return true;
  }
}
