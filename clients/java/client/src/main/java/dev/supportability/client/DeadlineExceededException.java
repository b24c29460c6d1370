package dev.supportability.client;

/**
 * The call did not finish before its deadline (status DEADLINE_EXCEEDED). Every call has one: the
 * client default ({@link SupportabilityClient.Builder#defaultDeadline}) or {@link
 * RequestOptions.Builder#deadline}.
 */
public class DeadlineExceededException extends ServiceErrorException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message the human-readable message
   * @param details what the service said
   * @param cause the underlying gRPC exception, or {@code null}
   */
  public DeadlineExceededException(String message, ErrorDetails details, Throwable cause) {
    super(message, details, cause);
  }

  /** {@inheritDoc} */
  @Override
  public boolean isRetryable() {
    return true;
  }
}
