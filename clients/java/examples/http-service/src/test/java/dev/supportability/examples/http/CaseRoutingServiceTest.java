package dev.supportability.examples.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import dev.supportability.client.SupportabilityClient;
import dev.supportability.v1.CasePrediction;
import dev.supportability.v1.Channel;
import dev.supportability.v1.Decision;
import dev.supportability.v1.DecisionAction;
import dev.supportability.v1.PredictCaseRequest;
import dev.supportability.v1.PredictCaseResponse;
import dev.supportability.v1.PredictionServiceGrpc;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The example over real HTTP on loopback, with a stand-in prediction service on gRPC's in-process
 * transport: a payout case is auto-routed, a case without channel is invalid, and any case whose
 * subject says "busy" meets an overloaded service.
 */
class CaseRoutingServiceTest {
  private static final HttpClient http = HttpClient.newHttpClient();
  // One set for the class: stopping the JDK's HttpServer takes its whole grace second.
  private static Server predictionService;
  private static SupportabilityClient client;
  private static CaseRoutingService service;

  @BeforeAll
  static void start() throws Exception {
    String name = "example-" + System.nanoTime();
    predictionService =
        InProcessServerBuilder.forName(name).addService(new StandIn()).build().start();
    client =
        SupportabilityClient.builder()
            .channelBuilder(InProcessChannelBuilder.forName(name))
            .build();
    service = new CaseRoutingService(client, new InetSocketAddress("127.0.0.1", 0));
  }

  @AfterAll
  static void stop() throws Exception {
    service.close();
    client.close();
    predictionService.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private static HttpResponse<String> post(String json) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + "/cases/route"))
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void answersWithTheDecision() throws Exception {
    HttpResponse<String> response =
        post(
            "{\"caseId\": \"c-1\", \"subject\": \"Payout missing\", \"channel\":"
                + " \"CHANNEL_EMAIL\"}");

    assertEquals(200, response.statusCode(), response.body());
    JsonObject body = JsonParser.parseString(response.body()).getAsJsonObject();
    assertEquals("c-1", body.get("caseId").getAsString());
    assertEquals("AUTO_ROUTE", body.get("action").getAsString());
    assertEquals("payouts", body.get("queue").getAsString());
    assertEquals(0.97, body.get("confidence").getAsDouble(), 1e-9);
    assertEquals(36, body.get("requestId").getAsString().length()); // a generated UUID
  }

  @Test
  void invalidCaseIsABadRequestNamingTheField() throws Exception {
    HttpResponse<String> response = post("{\"subject\": \"Payout missing\"}");

    assertEquals(400, response.statusCode(), response.body());
    JsonObject body = JsonParser.parseString(response.body()).getAsJsonObject();
    assertEquals(
        "support_case.channel",
        body.getAsJsonArray("fieldViolations").get(0).getAsJsonObject().get("field").getAsString());
  }

  @Test
  void overloadedServiceIsA503WithRetryAfter() throws Exception {
    HttpResponse<String> response = post("{\"subject\": \"busy\", \"channel\": \"CHANNEL_CHAT\"}");

    assertEquals(503, response.statusCode(), response.body());
    assertEquals("2", response.headers().firstValue("Retry-After").orElseThrow());
  }

  @Test
  void malformedJsonIsABadRequest() throws Exception {
    HttpResponse<String> response = post("{\"subject\": ");

    assertEquals(400, response.statusCode());
    assertTrue(response.body().contains("not a support case"), response.body());
  }

  /** Answers like the real service would for the three kinds of case the tests send. */
  private static final class StandIn extends PredictionServiceGrpc.PredictionServiceImplBase {
    @Override
    public void predictCase(PredictCaseRequest request, StreamObserver<PredictCaseResponse> out) {
      if (request.getSupportCase().getChannel() == Channel.CHANNEL_UNSPECIFIED) {
        out.onError(
            error(
                Status.Code.INVALID_ARGUMENT,
                "INVALID_CASE",
                Any.pack(
                    BadRequest.newBuilder()
                        .addFieldViolations(
                            BadRequest.FieldViolation.newBuilder()
                                .setField("support_case.channel")
                                .setDescription("required"))
                        .build())));
        return;
      }
      if (request.getSupportCase().getSubject().equals("busy")) {
        out.onError(
            error(
                Status.Code.RESOURCE_EXHAUSTED,
                "OVERLOADED",
                Any.pack(
                    RetryInfo.newBuilder()
                        .setRetryDelay(com.google.protobuf.Duration.newBuilder().setSeconds(2))
                        .build())));
        return;
      }
      out.onNext(
          PredictCaseResponse.newBuilder()
              .setRequestId(request.getRequestId())
              .setPrediction(
                  CasePrediction.newBuilder()
                      .setCaseId(request.getSupportCase().getCaseId())
                      .setModelVersion("stand-in")
                      .setDecision(
                          Decision.newBuilder()
                              .setAction(DecisionAction.DECISION_ACTION_AUTO_ROUTE)
                              .setQueue("payouts")
                              .setConfidence(0.97)
                              .setThreshold(0.8)))
              .build());
      out.onCompleted();
    }

    private static RuntimeException error(Status.Code code, String reason, Any detail) {
      return StatusProto.toStatusRuntimeException(
          com.google.rpc.Status.newBuilder()
              .setCode(code.value())
              .setMessage(reason.toLowerCase())
              .addDetails(
                  Any.pack(
                      ErrorInfo.newBuilder()
                          .setReason(reason)
                          .setDomain("supportability.dev")
                          .build()))
              .addDetails(detail)
              .build());
    }
  }
}
