package dev.supportability.client;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Turns gRPC failures into the typed {@link SupportabilityException} hierarchy. */
final class Errors {
  /** The {@code ErrorInfo.metadata} key under which the service puts the request id. */
  static final String REQUEST_ID_KEY = "request_id";

  private Errors() {}

  /**
   * Maps a failure of a call.
   *
   * @param failure what gRPC threw or reported
   * @param sentRequestId the request id the client sent, used when the service gave none
   */
  static SupportabilityException fromThrowable(Throwable failure, String sentRequestId) {
    if (failure instanceof SupportabilityException mapped) {
      return mapped;
    }
    // The status-details trailer when there is one, else the bare code and description (UNKNOWN
    // for a failure that is not a gRPC one).
    com.google.rpc.Status rich =
        StatusProto.fromStatusAndTrailers(
            Status.fromThrowable(failure), Status.trailersFromThrowable(failure));
    return fromStatus(rich, sentRequestId, failure);
  }

  /**
   * Maps a {@code google.rpc.Status}, as found in the trailer of a failed call or in a {@code
   * StreamPredictCasesResponse}.
   */
  static SupportabilityException fromStatus(
      com.google.rpc.Status status, String sentRequestId, Throwable cause) {
    ErrorDetails details = parseDetails(status, sentRequestId);
    String message = message(status, details);
    return switch (details.statusCode()) {
      case INVALID_ARGUMENT, OUT_OF_RANGE -> new InvalidRequestException(message, details, cause);
      case FAILED_PRECONDITION -> new ConflictException(message, details, cause);
      case UNAUTHENTICATED, PERMISSION_DENIED ->
          new AuthenticationException(message, details, cause);
      case NOT_FOUND -> new NotFoundException(message, details, cause);
      case RESOURCE_EXHAUSTED -> new OverloadedException(message, details, cause);
      case UNAVAILABLE -> new UnavailableException(message, details, cause);
      case DEADLINE_EXCEEDED -> new DeadlineExceededException(message, details, cause);
      case CANCELLED, OK -> new SupportabilityException(message, details, cause);
      default -> new ServiceErrorException(message, details, cause);
    };
  }

  private static ErrorDetails parseDetails(com.google.rpc.Status status, String sentRequestId) {
    String reason = "";
    String domain = "";
    Map<String, String> metadata = Map.of();
    List<FieldViolation> violations = new ArrayList<>();
    Optional<Duration> retryDelay = Optional.empty();
    for (Any detail : status.getDetailsList()) {
      try {
        if (detail.is(ErrorInfo.class)) {
          ErrorInfo info = detail.unpack(ErrorInfo.class);
          reason = info.getReason();
          domain = info.getDomain();
          metadata = info.getMetadataMap();
        } else if (detail.is(BadRequest.class)) {
          for (BadRequest.FieldViolation v :
              detail.unpack(BadRequest.class).getFieldViolationsList()) {
            violations.add(new FieldViolation(v.getField(), v.getDescription()));
          }
        } else if (detail.is(RetryInfo.class)) {
          com.google.protobuf.Duration delay = detail.unpack(RetryInfo.class).getRetryDelay();
          retryDelay = Optional.of(Duration.ofSeconds(delay.getSeconds(), delay.getNanos()));
        }
      } catch (InvalidProtocolBufferException e) {
        // A malformed detail must not hide the error itself: skip it.
      }
    }
    String requestId = metadata.getOrDefault(REQUEST_ID_KEY, "");
    if (requestId.isEmpty() && sentRequestId != null) {
      requestId = sentRequestId;
    }
    return new ErrorDetails(
        Status.fromCodeValue(status.getCode()).getCode(),
        reason,
        domain,
        metadata,
        requestId,
        violations,
        retryDelay);
  }

  /** For example "INVALID_ARGUMENT: the case is invalid (reason INVALID_CASE, request id 42)". */
  private static String message(com.google.rpc.Status status, ErrorDetails details) {
    StringBuilder message = new StringBuilder(details.statusCode().name());
    if (!status.getMessage().isEmpty()) {
      message.append(": ").append(status.getMessage());
    }
    List<String> context = new ArrayList<>();
    if (!details.reason().isEmpty()) {
      context.add("reason " + details.reason());
    }
    if (!details.requestId().isEmpty()) {
      context.add("request id " + details.requestId());
    }
    if (!context.isEmpty()) {
      message.append(" (").append(String.join(", ", context)).append(')');
    }
    return message.toString();
  }
}
