package dev.supportability.client;

/**
 * The requested object does not exist (status NOT_FOUND): a model version asked of {@code getModel}
 * (reason {@code MODEL_VERSION_NOT_FOUND}), or the prediction an outcome or {@code
 * getPredictionRecord} names by prediction id or case id (reason {@code PREDICTION_NOT_FOUND}).
 */
public class NotFoundException extends CallerErrorException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message the human-readable message
   * @param details what the service said
   * @param cause the underlying gRPC exception, or {@code null}
   */
  public NotFoundException(String message, ErrorDetails details, Throwable cause) {
    super(message, details, cause);
  }
}
