package dev.supportability.client;

/**
 * The request failed validation (status INVALID_ARGUMENT): a case field is missing or out of range
 * (reason {@code INVALID_CASE}), an outcome field is (reason {@code INVALID_OUTCOME}), a request
 * field is (reason {@code INVALID_REQUEST}), or the requested model version does not exist (reason
 * {@code MODEL_VERSION_NOT_FOUND}). {@link #getFieldViolations()} names every offending field, for
 * example {@code "support_cases[3].subject"}.
 */
public class InvalidRequestException extends CallerErrorException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message the human-readable message
   * @param details what the service said
   * @param cause the underlying gRPC exception, or {@code null}
   */
  public InvalidRequestException(String message, ErrorDetails details, Throwable cause) {
    super(message, details, cause);
  }
}
