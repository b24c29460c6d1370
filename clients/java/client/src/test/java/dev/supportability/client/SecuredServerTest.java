package dev.supportability.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.supportability.v1.CasePrediction;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The real Python server requiring a bearer token and mutual TLS. */
@Tag("integration")
class SecuredServerTest {
  private static final String TOKEN = "java-test-token";

  @RegisterExtension static final PythonServer server = PythonServer.secured(TOKEN);

  /** A client with the test CA and client certificate; retries off so failures are quick. */
  private SupportabilityClient.Builder mutualTlsClient() {
    return SupportabilityClient.builder()
        .target(server.target())
        .trustCertificates(server.caCertificate())
        .clientCertificate(server.clientCertificate(), server.clientKey())
        .retries(false);
  }

  @Test
  void predictsOverMutualTlsWithTheToken() {
    try (SupportabilityClient client = mutualTlsClient().bearerToken(TOKEN).build()) {
      assertEquals(
          "tls-1",
          client.predictCase(TestCases.payoutDelayed("tls-1")).getPrediction().getCaseId());
    }
  }

  @Test
  void missingTokenIsAnAuthenticationError() {
    try (SupportabilityClient client = mutualTlsClient().build()) {
      AuthenticationException e =
          assertThrows(
              AuthenticationException.class,
              () -> client.predictCase(TestCases.payoutDelayed("no-token")));
      assertEquals("UNAUTHENTICATED", e.getReason());
    }
  }

  @Test
  void streamWithoutTokenFailsWithAnAuthenticationError() {
    try (SupportabilityClient client = mutualTlsClient().build()) {
      PredictionStream stream = client.openPredictionStream();
      CompletableFuture<CasePrediction> prediction =
          stream.predict(TestCases.payoutDelayed("stream"));

      assertThrows(AuthenticationException.class, stream::close);
      ExecutionException e = assertThrows(ExecutionException.class, prediction::get);
      assertInstanceOf(AuthenticationException.class, e.getCause());
    }
  }

  @Test
  void wrongTokenIsAnAuthenticationError() {
    try (SupportabilityClient client = mutualTlsClient().bearerToken("not-" + TOKEN).build()) {
      assertThrows(
          AuthenticationException.class,
          () -> client.predictCase(TestCases.payoutDelayed("bad-token")));
    }
  }

  @Test
  void clientWithoutCertificateIsRefused() {
    try (SupportabilityClient client =
        SupportabilityClient.builder()
            .target(server.target())
            .trustCertificates(server.caCertificate())
            .bearerToken(TOKEN)
            .retries(false)
            .build()) {
      // The TLS 1.3 server refuses the certificate-less client after the handshake: the
      // connection drops (UNAVAILABLE, or INTERNAL if it drops mid-call).
      assertThrows(
          ServiceErrorException.class,
          () -> client.predictCase(TestCases.payoutDelayed("no-cert")));
    }
  }

  @Test
  void plaintextClientIsRefused() {
    try (SupportabilityClient client =
        SupportabilityClient.builder()
            .target(server.target())
            .bearerToken(TOKEN)
            .retries(false)
            .build()) {
      assertThrows(
          UnavailableException.class, () -> client.predictCase(TestCases.payoutDelayed("plain")));
    }
  }
}
