package dev.supportability.client;

/**
 * The service could not be reached, has no model loaded yet (status UNAVAILABLE, reason {@code
 * MODEL_NOT_LOADED}) or cannot reach its outcome store (reason {@code STORE_UNAVAILABLE}: nothing
 * was recorded, so sending the outcome again is safe). Thrown once the retry policy is exhausted.
 */
public class UnavailableException extends ServiceErrorException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message the human-readable message
   * @param details what the service said
   * @param cause the underlying gRPC exception, or {@code null}
   */
  public UnavailableException(String message, ErrorDetails details, Throwable cause) {
    super(message, details, cause);
  }

  /** {@inheritDoc} */
  @Override
  public boolean isRetryable() {
    return true;
  }
}
