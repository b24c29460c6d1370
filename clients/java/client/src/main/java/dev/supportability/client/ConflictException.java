package dev.supportability.client;

import java.util.Optional;

/**
 * The request contradicts what the service already holds (status FAILED_PRECONDITION): an outcome
 * gives another value for a field already recorded for the prediction (reason {@code
 * OUTCOME_CONFLICT}). Nothing was changed. Sending it again unchanged fails the same way; to
 * replace the recorded value, send the outcome with {@code correction} set.
 */
public class ConflictException extends CallerErrorException {
  private static final long serialVersionUID = 1L;

  /** The {@code ErrorInfo.metadata} key naming the outcome field in conflict. */
  static final String FIELD_KEY = "field";

  /**
   * Creates the exception.
   *
   * @param message the human-readable message
   * @param details what the service said
   * @param cause the underlying gRPC exception, or {@code null}
   */
  public ConflictException(String message, ErrorDetails details, Throwable cause) {
    super(message, details, cause);
  }

  /**
   * Returns the outcome field in conflict, for example {@code "resolved_queue"}, as the service
   * named it in the {@code ErrorInfo} metadata.
   *
   * @return the field, when the service named one
   */
  public Optional<String> getField() {
    return Optional.ofNullable(getMetadata().get(FIELD_KEY)).filter(field -> !field.isEmpty());
  }
}
