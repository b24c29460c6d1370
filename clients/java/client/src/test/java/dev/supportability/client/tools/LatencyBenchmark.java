package dev.supportability.client.tools;

import dev.supportability.client.SupportabilityClient;
import dev.supportability.client.TestCases;
import dev.supportability.v1.SupportCase;
import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Client-side latency of sequential {@code predictCase} calls, in a plain loop: one call at a time,
 * so the numbers are per-call latency rather than throughput under load.
 *
 * <pre>
 * java -cp "$(cat clients/java/client/target/classpath.txt)" \
 *     dev.supportability.client.tools.LatencyBenchmark HOST:PORT [CALLS] [MIN_WARMUP]
 * </pre>
 *
 * <p>Defaults: 2,000 measured calls after at least 500 warm-up calls; at most 100,000. The warm-up
 * goes on, in rounds of {@value #WARMUP_ROUND} calls, until the JIT has settled: two rounds in a
 * row in which it compiled for at most {@value #QUIET_JIT_PERCENT}% of the time, or 60 s in all.
 * The JIT compiles grpc-java, Netty and protobuf for thousands of calls (here it settled after
 * 20,000-30,000); measured after 500 calls, those compilations took 2-3 s of CPU from the two cores
 * the client and the server share, and the p90 and p99 measured the JIT, not the calls.
 *
 * <p>Prints one JSON line: {@code {"client":"java","calls":...,"p50_ms":...,"p90_ms":...,
 * "p99_ms":...,"max_ms":...,"mean_ms":...,"calls_per_s":...,"warmup_calls":...,"jit_ms":...,
 * "gc_count":...,"gc_ms":...,"wakeups_per_call":...}}: the JIT's compile time and the collections
 * during the measured calls (what disturbed them), and how many times a thread of this JVM blocked
 * and was woken per measured call (its voluntary context switches, from {@code /proc}; -1 elsewhere
 * than Linux). Each wake-up is a hand-off between threads, and on a busy machine a chance to wait
 * for a core; the figure does not depend on the load, the latencies do.
 */
public final class LatencyBenchmark {
  private static final int MAX_CALLS = 100_000;
  private static final CompilationMXBean JIT = ManagementFactory.getCompilationMXBean();
  private static final int WARMUP_ROUND = 500;
  private static final int QUIET_JIT_PERCENT = 2;
  private static final Duration MAX_WARMUP = Duration.ofSeconds(60);

  private LatencyBenchmark() {}

  /**
   * Runs the benchmark.
   *
   * @param args target, then optionally the measured and warm-up call counts
   */
  public static void main(String[] args) {
    if (args.length < 1 || args.length > 3) {
      System.err.println("usage: LatencyBenchmark HOST:PORT [CALLS=2000] [MIN_WARMUP=500]");
      System.exit(2);
    }
    int calls = Math.min(args.length > 1 ? Integer.parseInt(args[1]) : 2_000, MAX_CALLS);
    int warmup = Math.min(args.length > 2 ? Integer.parseInt(args[2]) : 500, MAX_CALLS);
    SupportCase supportCase = TestCases.payoutDelayed("bench-1");
    long[] nanos = new long[calls];
    long started;
    long finished;
    int warmupCalls;
    long jitMillis;
    long[] gc;
    double wakeupsPerCall;
    try (SupportabilityClient client = SupportabilityClient.builder().target(args[0]).build()) {
      warmupCalls = warmUp(client, supportCase, warmup);
      long jitBefore = compiledMillis();
      long[] gcBefore = collections();
      long wakeupsBefore = threadWakeups();
      started = System.nanoTime();
      timeCalls(client, supportCase, nanos);
      finished = System.nanoTime();
      long wakeupsAfter = threadWakeups();
      wakeupsPerCall =
          wakeupsBefore < 0 || wakeupsAfter < 0
              ? -1
              : (double) (wakeupsAfter - wakeupsBefore) / calls;
      jitMillis = compiledMillis() - jitBefore;
      long[] gcAfter = collections();
      gc = new long[] {gcAfter[0] - gcBefore[0], gcAfter[1] - gcBefore[1]};
    }
    Arrays.sort(nanos);
    System.out.println(
        String.format(
            Locale.ROOT,
            "{\"client\":\"java\",\"calls\":%d,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,"
                + "\"max_ms\":%.3f,\"mean_ms\":%.3f,\"calls_per_s\":%.1f,\"warmup_calls\":%d,"
                + "\"jit_ms\":%d,\"gc_count\":%d,\"gc_ms\":%d,\"wakeups_per_call\":%.2f}",
            calls,
            millis(percentile(nanos, 50)),
            millis(percentile(nanos, 90)),
            millis(percentile(nanos, 99)),
            millis(nanos[calls - 1]),
            millis((double) Arrays.stream(nanos).sum() / calls),
            calls / ((finished - started) / 1e9),
            warmupCalls,
            jitMillis,
            gc[0],
            gc[1],
            wakeupsPerCall));
  }

  /**
   * Calls until the JIT has settled (see the class comment), at least {@code minCalls} times.
   *
   * @return the number of warm-up calls made
   */
  private static int warmUp(SupportabilityClient client, SupportCase supportCase, int minCalls) {
    long giveUp = System.nanoTime() + MAX_WARMUP.toNanos();
    long[] discarded = new long[WARMUP_ROUND];
    int made = 0;
    int quietRounds = 0;
    while (made < minCalls || (quietRounds < 2 && System.nanoTime() < giveUp)) {
      long jitBefore = compiledMillis();
      long t0 = System.nanoTime();
      timeCalls(client, supportCase, discarded);
      made += WARMUP_ROUND;
      long roundMillis = (System.nanoTime() - t0) / 1_000_000;
      boolean quiet = (compiledMillis() - jitBefore) * 100 <= roundMillis * QUIET_JIT_PERCENT;
      quietRounds = quiet ? quietRounds + 1 : 0;
    }
    return made;
  }

  /**
   * Makes {@code nanos.length} calls one after another, each one's latency into {@code nanos}. The
   * warm-up runs the same method, so the measured calls run code the JIT has already compiled (a
   * loop of its own would be compiled anew, the whole call path inlined, while it is measured).
   */
  private static void timeCalls(
      SupportabilityClient client, SupportCase supportCase, long[] nanos) {
    for (int i = 0; i < nanos.length; i++) {
      long t0 = System.nanoTime();
      client.predictCase(supportCase);
      nanos[i] = System.nanoTime() - t0;
    }
  }

  /** The JIT's compile time so far; 0 on a JVM that doesn't report it (or runs without a JIT). */
  private static long compiledMillis() {
    return JIT != null && JIT.isCompilationTimeMonitoringSupported()
        ? JIT.getTotalCompilationTime()
        : 0;
  }

  /**
   * The voluntary context switches so far of every thread of this JVM, or -1 where {@code /proc}
   * does not tell them.
   */
  private static long threadWakeups() {
    try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
      return tasks.mapToLong(LatencyBenchmark::voluntarySwitches).sum();
    } catch (IOException e) {
      return -1;
    }
  }

  private static long voluntarySwitches(Path task) {
    try {
      for (String line : Files.readAllLines(task.resolve("status"))) {
        if (line.startsWith("voluntary_ctxt_switches:")) {
          return Long.parseLong(line.substring("voluntary_ctxt_switches:".length()).trim());
        }
      }
    } catch (IOException e) {
      // the thread ended meanwhile
    }
    return 0;
  }

  /** The collections so far and the milliseconds they took, over every collector. */
  private static long[] collections() {
    long count = 0;
    long millis = 0;
    for (GarbageCollectorMXBean collector : ManagementFactory.getGarbageCollectorMXBeans()) {
      count += Math.max(collector.getCollectionCount(), 0);
      millis += Math.max(collector.getCollectionTime(), 0);
    }
    return new long[] {count, millis};
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
