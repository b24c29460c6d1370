package dev.supportability.client;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.ForwardingClientCallListener.SimpleForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The client's two interceptors. Per-call values travel to them in {@link CallOptions} keys, so one
 * intercepted channel serves every call.
 */
final class CallInterceptors {
  /** The request id of a call, for the listeners. */
  static final CallOptions.Key<String> REQUEST_ID =
      CallOptions.Key.createWithDefault("request-id", "");

  /** Extra headers of a call, from {@link RequestOptions#headers()}. */
  static final CallOptions.Key<Map<String, String>> HEADERS =
      CallOptions.Key.createWithDefault("headers", Map.of());

  private static final Logger logger = Logger.getLogger(CallInterceptors.class.getName());
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private CallInterceptors() {}

  /**
   * Adds the per-call headers and, when a token supplier is given, {@code authorization: Bearer
   * <token>}. The supplier is asked on every call, so a rotating token is picked up.
   */
  static ClientInterceptor headers(Supplier<String> bearerToken) {
    return new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(
          MethodDescriptor<Q, R> method, CallOptions callOptions, Channel next) {
        return new SimpleForwardingClientCall<>(next.newCall(method, callOptions)) {
          @Override
          public void start(Listener<R> responseListener, Metadata headers) {
            callOptions
                .getOption(HEADERS)
                .forEach(
                    (name, value) ->
                        headers.put(
                            Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), value));
            if (bearerToken != null) {
              headers.put(AUTHORIZATION, "Bearer " + bearerToken.get());
            }
            super.start(responseListener, headers);
          }
        };
      }
    };
  }

  /** Reports every finished call to the listeners. */
  static ClientInterceptor listeners(List<CallListener> listeners) {
    return new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(
          MethodDescriptor<Q, R> method, CallOptions callOptions, Channel next) {
        return new SimpleForwardingClientCall<>(next.newCall(method, callOptions)) {
          @Override
          public void start(Listener<R> responseListener, Metadata headers) {
            long startNanos = System.nanoTime();
            super.start(
                new SimpleForwardingClientCallListener<>(responseListener) {
                  @Override
                  public void onClose(Status status, Metadata trailers) {
                    CallListener.CallInfo call =
                        new CallListener.CallInfo(
                            method.getFullMethodName(),
                            Duration.ofNanos(System.nanoTime() - startNanos),
                            status.getCode(),
                            callOptions.getOption(REQUEST_ID));
                    report(call);
                    super.onClose(status, trailers);
                  }
                },
                headers);
          }
        };
      }

      private void report(CallListener.CallInfo call) {
        for (CallListener listener : listeners) {
          try {
            listener.onCallCompleted(call);
          } catch (RuntimeException e) {
            logger.log(Level.WARNING, "CallListener " + listener + " threw; ignored", e);
          }
        }
      }
    };
  }
}
