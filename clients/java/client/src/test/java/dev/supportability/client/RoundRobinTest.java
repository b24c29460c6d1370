package dev.supportability.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.supportability.v1.PredictCaseRequest;
import dev.supportability.v1.PredictCaseResponse;
import dev.supportability.v1.PredictionServiceGrpc;
import dev.supportability.v1.SupportCase;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A static list of servers shares the calls round-robin, over real loopback sockets. */
class RoundRobinTest {

  @Test
  void callsAreSpreadOverEveryAddress() throws Exception {
    List<AtomicInteger> counts = List.of(new AtomicInteger(), new AtomicInteger());
    List<Server> servers = new ArrayList<>();
    try {
      List<String> addresses = new ArrayList<>();
      for (AtomicInteger count : counts) {
        Server server =
            Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
                .addService(countingService(count))
                .build()
                .start();
        servers.add(server);
        addresses.add("127.0.0.1:" + server.getPort());
      }

      try (SupportabilityClient client =
          SupportabilityClient.builder().addresses(addresses).build()) {
        for (int i = 0; i < 10; i++) {
          client.predictCase(SupportCase.newBuilder().setCaseId("c" + i).build());
        }
      }

      // Until both connections are ready the first one may take every call; after that they
      // alternate. Each must have served some.
      assertEquals(10, counts.get(0).get() + counts.get(1).get());
      assertTrue(counts.get(0).get() >= 1 && counts.get(1).get() >= 1, counts.toString());
    } finally {
      for (Server server : servers) {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  private static PredictionServiceGrpc.PredictionServiceImplBase countingService(
      AtomicInteger count) {
    return new PredictionServiceGrpc.PredictionServiceImplBase() {
      @Override
      public void predictCase(PredictCaseRequest request, StreamObserver<PredictCaseResponse> out) {
        count.incrementAndGet();
        out.onNext(FakeServer.echo(request));
        out.onCompleted();
      }
    };
  }
}
