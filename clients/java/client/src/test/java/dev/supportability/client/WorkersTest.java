package dev.supportability.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.supportability.v1.SupportCase;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A server run with {@code --workers 2}: the kernel hands each connection to one worker, so one
 * client (one channel, one connection) reaches one worker, and several clients used in turn reach
 * both. Each worker counts the calls it answered on a {@code /metrics} port of its own.
 */
@Tag("integration")
class WorkersTest {
  @RegisterExtension
  static final PythonServer server =
      PythonServer.withOptions(
          "--workers", "2", "--store", "none", "--metrics-address", "127.0.0.1:0");

  private static final int CALLS = 60;
  // 16 connections all hashed to one of 2 workers: probability 2^-15.
  private static final int CLIENTS = 16;
  private static final Pattern METRICS_PORT =
      Pattern.compile("\"message\": \"serving\".*\"metrics_port\": (\\d+)");
  private static final String OK_CALLS =
      "supportability_rpc_calls_total{code=\"OK\",method=\"PredictCase\"} ";
  private static final SupportCase CASE =
      SupportCase.newBuilder().setSubject("Payout missing").setBody("It did not arrive.").build();

  @Test
  void severalClientsUsedInTurnReachEveryWorker() throws Exception {
    List<Long> before = servedByEachWorker();
    List<SupportabilityClient> clients = new ArrayList<>();
    try {
      for (int i = 0; i < CLIENTS; i++) {
        clients.add(SupportabilityClient.builder().target(server.target()).build());
      }
      for (int i = 0; i < CALLS; i++) {
        clients.get(i % CLIENTS).predictCase(CASE);
      }
    } finally {
      clients.forEach(SupportabilityClient::close);
    }
    List<Long> served = minus(servedByEachWorker(), before);
    assertEquals(CALLS, served.stream().mapToLong(Long::longValue).sum());
    assertTrue(served.stream().allMatch(n -> n > 0), served.toString());
  }

  @Test
  void oneClientReachesOneWorker() throws Exception {
    List<Long> before = servedByEachWorker();
    try (SupportabilityClient client =
        SupportabilityClient.builder().target(server.target()).build()) {
      for (int i = 0; i < CALLS; i++) {
        client.predictCase(CASE);
      }
    }
    List<Long> served = minus(servedByEachWorker(), before);
    served.sort(null);
    assertEquals(List.of(0L, (long) CALLS), served);
  }

  private static List<Long> minus(List<Long> after, List<Long> before) {
    List<Long> out = new ArrayList<>();
    for (int i = 0; i < after.size(); i++) {
      out.add(after.get(i) - before.get(i));
    }
    return out;
  }

  /** PredictCase calls answered OK, per worker, from each worker's own /metrics. */
  private static List<Long> servedByEachWorker() throws IOException, InterruptedException {
    HttpClient http = HttpClient.newHttpClient();
    List<Long> served = new ArrayList<>();
    for (String line : Files.readAllLines(server.log(), StandardCharsets.UTF_8)) {
      Matcher port = METRICS_PORT.matcher(line);
      if (!port.find()) {
        continue;
      }
      URI uri = URI.create("http://127.0.0.1:" + port.group(1) + "/metrics");
      String page =
          http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString())
              .body();
      served.add(
          page.lines()
              .filter(l -> l.startsWith(OK_CALLS))
              .mapToLong(l -> (long) Double.parseDouble(l.substring(OK_CALLS.length())))
              .sum());
    }
    assertEquals(2, served.size(), "one serving line per worker");
    return served;
  }
}
