package dev.supportability.client;

/**
 * The request was at fault: sending it again unchanged fails again. Subclasses: {@link
 * InvalidRequestException}, {@link AuthenticationException}, {@link NotFoundException}, {@link
 * ConflictException}.
 */
public class CallerErrorException extends SupportabilityException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message the human-readable message
   * @param details what the service said
   * @param cause the underlying gRPC exception, or {@code null}
   */
  public CallerErrorException(String message, ErrorDetails details, Throwable cause) {
    super(message, details, cause);
  }
}
