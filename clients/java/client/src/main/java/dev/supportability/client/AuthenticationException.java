package dev.supportability.client;

/**
 * The call carried no valid credentials (status UNAUTHENTICATED, reason {@code UNAUTHENTICATED}) or
 * was not allowed (status PERMISSION_DENIED). Check the bearer token given to {@link
 * SupportabilityClient.Builder#bearerToken(String)}.
 */
public class AuthenticationException extends CallerErrorException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message the human-readable message
   * @param details what the service said
   * @param cause the underlying gRPC exception, or {@code null}
   */
  public AuthenticationException(String message, ErrorDetails details, Throwable cause) {
    super(message, details, cause);
  }
}
