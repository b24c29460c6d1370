package dev.supportability.examples.http;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.supportability.client.AuthenticationException;
import dev.supportability.client.DeadlineExceededException;
import dev.supportability.client.FieldViolation;
import dev.supportability.client.InvalidRequestException;
import dev.supportability.client.OverloadedException;
import dev.supportability.client.RequestOptions;
import dev.supportability.client.SupportabilityClient;
import dev.supportability.client.SupportabilityException;
import dev.supportability.client.UnavailableException;
import dev.supportability.v1.CasePrediction;
import dev.supportability.v1.Decision;
import dev.supportability.v1.PredictCaseResponse;
import dev.supportability.v1.SupportCase;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A case-routing HTTP service: {@code POST /cases/route} with a support case as JSON (the
 * contract's proto3 JSON form of {@code SupportCase}) answers with the routing decision.
 *
 * <pre>
 * curl -s localhost:8080/cases/route -d '{"subject": "Payout missing", "channel": "CHANNEL_EMAIL"}'
 * {"caseId":"","action":"AUTO_ROUTE","queue":"payouts","confidence":0.97,"threshold":0.8,...}
 * </pre>
 *
 * <p>It shows the client's error types turned into HTTP answers: an invalid case is the caller's
 * 400 (with the offending fields), an overloaded model service a 503 with {@code Retry-After}, an
 * unreachable one a 503, a slow one a 504, and bad credentials a 500 (this service's own
 * misconfiguration, not the caller's).
 *
 * <p>Run it with {@code SUPPORTABILITY_TARGET} (default {@code 127.0.0.1:50051}), {@code
 * SUPPORTABILITY_TOKEN} (optional) and {@code PORT} (default 8080) set.
 */
public final class CaseRoutingService implements AutoCloseable {
  private static final Logger logger = Logger.getLogger(CaseRoutingService.class.getName());

  /** What one HTTP request may spend waiting for its prediction. */
  private static final Duration PREDICTION_DEADLINE = Duration.ofSeconds(2);

  /** Immutable and thread-safe, so one serves every request. */
  private static final JsonFormat.Parser CASE_PARSER = JsonFormat.parser();

  private final SupportabilityClient client;
  private final HttpServer server;
  private final ExecutorService workers = Executors.newFixedThreadPool(8);

  /**
   * Starts serving.
   *
   * @param client the Supportability client, shared by every request; the caller closes it
   * @param address where to listen; port 0 picks a free one
   * @throws IOException when the address cannot be bound
   */
  public CaseRoutingService(SupportabilityClient client, InetSocketAddress address)
      throws IOException {
    this.client = client;
    this.server = HttpServer.create(address, 0);
    server.createContext("/cases/route", this::route);
    server.setExecutor(workers);
    server.start();
  }

  /**
   * Returns the port the service listens on.
   *
   * @return the port
   */
  public int port() {
    return server.getAddress().getPort();
  }

  /** Stops serving, letting requests in progress finish for up to a second. */
  @Override
  public void close() {
    server.stop(1);
    workers.shutdown();
  }

  private void route(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!"POST".equals(exchange.getRequestMethod())) {
        exchange.getResponseHeaders().set("Allow", "POST");
        respond(exchange, 405, error("use POST"));
        return;
      }
      SupportCase supportCase;
      try {
        String json = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        SupportCase.Builder builder = SupportCase.newBuilder();
        CASE_PARSER.merge(json, builder);
        supportCase = builder.build();
      } catch (InvalidProtocolBufferException e) {
        respond(exchange, 400, error("not a support case: " + e.getMessage()));
        return;
      }
      RequestOptions options = RequestOptions.builder().deadline(PREDICTION_DEADLINE).build();
      try {
        respond(exchange, 200, decision(client.predictCase(supportCase, options)));
      } catch (SupportabilityException e) {
        respondToFailure(exchange, e);
      }
    }
  }

  /** Each kind of failure becomes the HTTP answer a caller of this service can act on. */
  private static void respondToFailure(HttpExchange exchange, SupportabilityException e)
      throws IOException {
    JsonObject body = error(e.getMessage());
    body.addProperty("requestId", e.getRequestId());
    if (e instanceof InvalidRequestException invalid) {
      JsonArray fields = new JsonArray();
      for (FieldViolation violation : invalid.getFieldViolations()) {
        JsonObject field = new JsonObject();
        field.addProperty("field", violation.field());
        field.addProperty("description", violation.description());
        fields.add(field);
      }
      body.add("fieldViolations", fields);
      respond(exchange, 400, body);
    } else if (e instanceof OverloadedException overloaded) {
      long seconds = overloaded.getRetryDelay().orElse(Duration.ofSeconds(1)).toSeconds();
      exchange.getResponseHeaders().set("Retry-After", Long.toString(Math.max(seconds, 1)));
      respond(exchange, 503, body);
    } else if (e instanceof UnavailableException) {
      respond(exchange, 503, body);
    } else if (e instanceof DeadlineExceededException) {
      respond(exchange, 504, body);
    } else if (e instanceof AuthenticationException) {
      logger.log(Level.SEVERE, "the Supportability token is missing or wrong", e);
      respond(exchange, 500, error("misconfigured"));
    } else {
      logger.log(Level.WARNING, "prediction failed", e);
      respond(exchange, 502, body);
    }
  }

  private static JsonObject decision(PredictCaseResponse response) {
    CasePrediction prediction = response.getPrediction();
    Decision decision = prediction.getDecision();
    JsonObject body = new JsonObject();
    body.addProperty("caseId", prediction.getCaseId());
    body.addProperty("action", decision.getAction().name().replace("DECISION_ACTION_", ""));
    body.addProperty("queue", decision.getQueue());
    body.addProperty("confidence", decision.getConfidence());
    body.addProperty("threshold", decision.getThreshold());
    body.addProperty("modelVersion", prediction.getModelVersion());
    body.addProperty("requestId", response.getRequestId());
    return body;
  }

  private static JsonObject error(String message) {
    JsonObject body = new JsonObject();
    body.addProperty("error", message);
    return body;
  }

  private static void respond(HttpExchange exchange, int status, JsonObject body)
      throws IOException {
    byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  /**
   * Runs the service until the process is stopped.
   *
   * @param args none
   * @throws IOException when the port cannot be bound
   */
  public static void main(String[] args) throws IOException {
    SupportabilityClient.Builder builder =
        SupportabilityClient.builder()
            .target(System.getenv().getOrDefault("SUPPORTABILITY_TARGET", "127.0.0.1:50051"))
            .userAgent("case-routing-example/1.0");
    String token = System.getenv("SUPPORTABILITY_TOKEN");
    if (token != null && !token.isEmpty()) {
      builder.bearerToken(token);
    }
    SupportabilityClient client = builder.build();
    int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
    CaseRoutingService service =
        new CaseRoutingService(client, new InetSocketAddress("127.0.0.1", port));
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  service.close();
                  client.close();
                }));
    System.out.println("routing cases on http://127.0.0.1:" + service.port() + "/cases/route");
  }
}
