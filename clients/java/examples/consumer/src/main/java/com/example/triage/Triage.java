package com.example.triage;

import dev.supportability.client.InvalidRequestException;
import dev.supportability.client.RequestOptions;
import dev.supportability.client.SupportabilityClient;
import dev.supportability.client.SupportabilityException;
import dev.supportability.v1.Channel; // the case's channel (email, chat, ...), not gRPC's
import dev.supportability.v1.Decision;
import dev.supportability.v1.PredictCaseResponse;
import dev.supportability.v1.SupportCase;
import io.grpc.ManagedChannel; // a gRPC io.grpc.Channel; no import of that name clashes then
import io.grpc.ManagedChannelBuilder;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Routes one support case through the Supportability service: the README's snippets, with their
 * imports, compiled by the build.
 *
 * <pre>
 * java -cp "target/classes:$(mvn -q dependency:build-classpath -Dmdep.outputFile=/dev/stdout)" \
 *     com.example.triage.Triage 127.0.0.1:50051
 * </pre>
 */
public final class Triage {
  private Triage() {}

  /**
   * Predicts one case and prints the decision.
   *
   * @param args the service's {@code host:port} (default {@code 127.0.0.1:50051})
   * @throws InterruptedException if interrupted while closing a shared channel
   */
  public static void main(String[] args) throws InterruptedException {
    String target = args.length > 0 ? args[0] : "127.0.0.1:50051";
    try (SupportabilityClient client = SupportabilityClient.builder().target(target).build()) {
      System.out.println(route(client, payoutCase()));
    }

    // Sharing a channel you own: ManagedChannel is an io.grpc.Channel, so the builder takes it
    // while `Channel` in this file stays the contract's enum. Where gRPC's type itself is needed,
    // spell it out: io.grpc.Channel.
    ManagedChannel channel = ManagedChannelBuilder.forTarget(target).usePlaintext().build();
    try (SupportabilityClient client = SupportabilityClient.builder().channel(channel).build()) {
      System.out.println(route(client, payoutCase()));
    } finally {
      channel.shutdown().awaitTermination(5, TimeUnit.SECONDS); // the client never closes it
    }
  }

  static SupportCase payoutCase() {
    return SupportCase.newBuilder()
        .setCaseId("c-1")
        .setSubject("Payout has not arrived")
        .setBody("Our weekly payout is late.")
        .setChannel(Channel.CHANNEL_EMAIL)
        .build();
  }

  /** "AUTO_ROUTE -> payouts", or what was wrong with the case. */
  static String route(SupportabilityClient client, SupportCase supportCase) {
    try {
      PredictCaseResponse response =
          client.predictCase(
              supportCase, RequestOptions.builder().deadline(Duration.ofSeconds(2)).build());
      Decision decision = response.getPrediction().getDecision();
      return decision.getAction() + " -> " + decision.getQueue();
    } catch (InvalidRequestException e) {
      return "invalid case: " + e.getFieldViolations();
    } catch (SupportabilityException e) {
      return "no prediction (" + e.getStatusCode() + "), request " + e.getRequestId();
    }
  }
}
