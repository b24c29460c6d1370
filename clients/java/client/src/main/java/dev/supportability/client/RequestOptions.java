package dev.supportability.client;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Options for one call: its deadline, extra metadata headers and request id. Immutable.
 *
 * <pre>{@code
 * RequestOptions options = RequestOptions.builder()
 *     .deadline(Duration.ofMillis(300))
 *     .header("x-tenant", "eu-1")
 *     .requestId(incomingRequestId)
 *     .build();
 * client.predictCase(supportCase, options);
 * }</pre>
 */
public final class RequestOptions {
  private static final RequestOptions DEFAULTS = builder().build();

  private final Duration deadline;
  private final Map<String, String> headers;
  private final String requestId;

  private RequestOptions(Builder builder) {
    this.deadline = builder.deadline;
    this.headers = Map.copyOf(builder.headers);
    this.requestId = builder.requestId;
  }

  /**
   * Returns options that change nothing: the client's default deadline, no extra headers, a
   * generated request id.
   *
   * @return the default options
   */
  public static RequestOptions defaults() {
    return DEFAULTS;
  }

  /**
   * Starts building options.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the deadline of the call, measured from when it starts.
   *
   * @return the deadline, or empty for the client's default
   */
  public Optional<Duration> deadline() {
    return Optional.ofNullable(deadline);
  }

  /**
   * Returns the extra metadata headers sent with the call, keys in lower case.
   *
   * @return the headers, never {@code null}
   */
  public Map<String, String> headers() {
    return headers;
  }

  /**
   * Returns the request id to send.
   *
   * @return the request id, or empty to keep the request's own (or generate one)
   */
  public Optional<String> requestId() {
    return Optional.ofNullable(requestId);
  }

  /** Checks a deadline setting, also for {@link SupportabilityClient.Builder}. */
  static Duration positive(Duration duration, String name) {
    Objects.requireNonNull(duration, name);
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + duration);
    }
    return duration;
  }

  /** Builds {@link RequestOptions}. */
  public static final class Builder {
    private Duration deadline;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private String requestId;

    private Builder() {}

    /**
     * Sets the call's deadline, overriding the client's default.
     *
     * @param deadline how long the call may take; positive
     * @return this builder
     */
    public Builder deadline(Duration deadline) {
      this.deadline = positive(deadline, "deadline");
      return this;
    }

    /**
     * Adds a metadata header sent with the call.
     *
     * @param name the header name (ASCII; stored in lower case; not ending in {@code -bin})
     * @param value the header value (printable ASCII)
     * @return this builder
     */
    public Builder header(String name, String value) {
      String key = Objects.requireNonNull(name, "name").toLowerCase(Locale.ROOT);
      if (key.endsWith("-bin")) {
        throw new IllegalArgumentException("binary headers are not supported: " + name);
      }
      headers.put(key, Objects.requireNonNull(value, "value"));
      return this;
    }

    /**
     * Sets the request id of a {@code predictCase}, {@code batchPredictCases}, {@code
     * recordOutcome} or {@code batchRecordOutcomes} call, overriding one set on the request
     * message. Use it to carry your own correlation id into the service's logs and errors (and, for
     * an outcome, into the prediction record's revision history). Model calls, {@code
     * getPredictionRecord} and streams (whose messages carry their own) ignore it.
     *
     * @param requestId the request id, for example a UUID
     * @return this builder
     */
    public Builder requestId(String requestId) {
      if (Objects.requireNonNull(requestId, "requestId").isEmpty()) {
        throw new IllegalArgumentException("requestId must not be empty");
      }
      this.requestId = requestId;
      return this;
    }

    /**
     * Builds the options.
     *
     * @return the options
     */
    public RequestOptions build() {
      return new RequestOptions(this);
    }
  }
}
