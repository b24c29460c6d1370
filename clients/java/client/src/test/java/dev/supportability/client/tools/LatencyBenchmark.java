package dev.supportability.client.tools;

import dev.supportability.client.SupportabilityClient;
import dev.supportability.client.TestCases;
import dev.supportability.v1.SupportCase;
import java.util.Arrays;
import java.util.Locale;

/**
 * Client-side latency of sequential {@code predictCase} calls, in a plain loop: one call at a time,
 * so the numbers are per-call latency rather than throughput under load.
 *
 * <pre>
 * java -cp "$(cat clients/java/client/target/classpath.txt)" \
 *     dev.supportability.client.tools.LatencyBenchmark HOST:PORT [CALLS] [WARMUP]
 * </pre>
 *
 * <p>Defaults: 2,000 measured calls after 500 warm-up calls (the JIT compiles the call path during
 * warm-up); at most 100,000. Prints one JSON line: {@code {"client":"java","calls":...,
 * "p50_ms":...,"p90_ms":...,"p99_ms":...,"max_ms":...,"mean_ms":...,"calls_per_s":...}}.
 */
public final class LatencyBenchmark {
  private static final int MAX_CALLS = 100_000;

  private LatencyBenchmark() {}

  /**
   * Runs the benchmark.
   *
   * @param args target, then optionally the measured and warm-up call counts
   */
  public static void main(String[] args) {
    if (args.length < 1 || args.length > 3) {
      System.err.println("usage: LatencyBenchmark HOST:PORT [CALLS=2000] [WARMUP=500]");
      System.exit(2);
    }
    int calls = Math.min(args.length > 1 ? Integer.parseInt(args[1]) : 2_000, MAX_CALLS);
    int warmup = Math.min(args.length > 2 ? Integer.parseInt(args[2]) : 500, MAX_CALLS);
    SupportCase supportCase = TestCases.payoutDelayed("bench-1");
    long[] nanos = new long[calls];
    long started;
    long finished;
    try (SupportabilityClient client = SupportabilityClient.builder().target(args[0]).build()) {
      for (int i = 0; i < warmup; i++) {
        client.predictCase(supportCase);
      }
      started = System.nanoTime();
      for (int i = 0; i < calls; i++) {
        long t0 = System.nanoTime();
        client.predictCase(supportCase);
        nanos[i] = System.nanoTime() - t0;
      }
      finished = System.nanoTime();
    }
    Arrays.sort(nanos);
    System.out.println(
        String.format(
            Locale.ROOT,
            "{\"client\":\"java\",\"calls\":%d,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,"
                + "\"max_ms\":%.3f,\"mean_ms\":%.3f,\"calls_per_s\":%.1f}",
            calls,
            millis(percentile(nanos, 50)),
            millis(percentile(nanos, 90)),
            millis(percentile(nanos, 99)),
            millis(nanos[calls - 1]),
            millis((double) Arrays.stream(nanos).sum() / calls),
            calls / ((finished - started) / 1e9)));
  }

  /** The nearest-rank percentile of sorted values. */
  private static long percentile(long[] sorted, int p) {
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(rank, 1) - 1];
  }

  private static double millis(double nanos) {
    return nanos / 1e6;
  }
}
