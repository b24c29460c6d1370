package dev.supportability.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.supportability.v1.PredictCaseRequest;
import dev.supportability.v1.PredictCaseResponse;
import dev.supportability.v1.PredictionServiceGrpc;
import dev.supportability.v1.SupportCase;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * How a blocking call waits: it completes on the client's own transport thread (one hand-off back
 * to the caller, see {@code SupportabilityClient#blockingCall}), and an interrupt cancels it.
 */
class BlockingCallsTest {
  private static final SupportCase CASE = SupportCase.newBuilder().setCaseId("case-1").build();

  @Test
  void blockingCallsCompleteOnTheClientsOwnTransportThreadWhichCloseStops() throws Exception {
    Server server =
        Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
            .addService(echoService())
            .build()
            .start();
    List<Thread> listenerThreads = new CopyOnWriteArrayList<>();
    try {
      try (SupportabilityClient client =
          SupportabilityClient.builder()
              .target("127.0.0.1:" + server.getPort())
              .callListener(call -> listenerThreads.add(Thread.currentThread()))
              .build()) {
        for (int i = 0; i < 3; i++) {
          assertEquals("case-1", client.predictCase(CASE).getPrediction().getCaseId());
        }
        SupportabilityException e =
            assertThrows(SupportabilityException.class, () -> client.getModel(""));
        assertEquals(Status.Code.UNIMPLEMENTED, e.getStatusCode()); // a failure comes back too
      }

      // The listener has run before each call returned, always on one thread: the client's own.
      assertEquals(4, listenerThreads.size());
      Set<Thread> threads = Set.copyOf(listenerThreads);
      assertEquals(1, threads.size(), threads.stream().map(Thread::getName).toList().toString());
      Thread transport = threads.iterator().next();
      assertNotEquals(Thread.currentThread(), transport);
      assertTrue(transport.getName().startsWith("supportability-transport"), transport.getName());
      transport.join(TimeUnit.SECONDS.toMillis(5));
      assertFalse(transport.isAlive(), "close() leaves the transport thread running");
    } finally {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void anInterruptCancelsTheCallAndStaysOnTheThread() throws Exception {
    try (FakeServer server = new FakeServer();
        SupportabilityClient client = server.client().build()) {
      server.predict = request -> null; // never answers
      Thread.currentThread().interrupt();
      SupportabilityException e =
          assertThrows(SupportabilityException.class, () -> client.predictCase(CASE));
      assertTrue(Thread.interrupted(), "the interrupt was swallowed");
      assertEquals(Status.Code.CANCELLED, e.getStatusCode());
      // The client is still usable once the interrupt is handled.
      server.predict = FakeServer::echo;
      assertEquals("case-1", client.predictCase(CASE).getPrediction().getCaseId());
    }
  }

  private static PredictionServiceGrpc.PredictionServiceImplBase echoService() {
    return new PredictionServiceGrpc.PredictionServiceImplBase() {
      @Override
      public void predictCase(PredictCaseRequest request, StreamObserver<PredictCaseResponse> out) {
        out.onNext(FakeServer.echo(request));
        out.onCompleted();
      }
    };
  }
}
