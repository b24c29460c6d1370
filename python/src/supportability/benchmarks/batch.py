"""Batch scoring, timed: the in-process model, the local engine and Spark local[2] on one file.

    python -m supportability.benchmarks.batch [--cases 1000000] [--registry var/registry]
        [--workdir .cache/bench/batch] [--master local[2]] [--engines model,local,spark]

Generates the synthetic file once (kept in the work directory), then times, one after the other:
- the model alone, single-threaded, on the loaded cases in chunks of 10,000 (cases/s per core);
- the local engine (`batch score --engine local`: parse, predict, write) in a child process, for
  its cases/s and its peak RSS (the whole file never is in memory);
- Spark: the session's start-up, then its Python workers' (a first job on the file's first
  20,000 cases: each worker starts and loads the model once per session), then `batch score
  --engine spark` on `--master`, as cases/s per core (the master's core count).
Prints JSON, with the load average before and after; the ratio the issue targets is spark per core
/ model per core. Beside each wall-clock figure is one per CPU-second (of the process and, for
Spark, of the JVM and its Python workers): on a machine others are using too, wall-clock per core
understates every engine, CPU time far less. `--engines local` alone
is the run for a file of millions of rows: its peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

from supportability.batch.columns import ARTICLE_COUNT, TOP_K

WARM_UP_CASES = 20_000  # scored by Spark before the timed run, so that it times cases, not start-up


def _cases_file(workdir: Path, cases: int) -> Path:
    from supportability.data.generator import GeneratorConfig, generate
    from supportability.data.io import write_cases

    path = workdir / f"cases-{cases}.parquet"
    if not path.exists():
        write_cases(generate(GeneratorConfig(n_cases=cases, seed=23)), path)
    return path


def _model_per_core(registry: str, path: Path) -> dict[str, float]:
    from threadpoolctl import threadpool_limits

    from supportability.data.loaders import iter_cases
    from supportability.registry import Registry

    model = Registry(registry).load()
    seconds, cpu_seconds, count = 0.0, 0.0, 0
    with threadpool_limits(limits=1):
        for chunk in iter_cases(path, chunk_rows=10_000):
            cases = [c for _, c in chunk]
            started, cpu_started = time.perf_counter(), time.process_time()
            model.predict(cases, top_k=TOP_K, article_count=ARTICLE_COUNT)
            seconds += time.perf_counter() - started
            cpu_seconds += time.process_time() - cpu_started
            count += len(cases)
    return {"cases_per_second_per_core": count / seconds, "cases_per_cpu_second": count / cpu_seconds}


def _local_engine(registry: str, path: Path, workdir: Path) -> dict[str, float]:
    """In a child process, so that its peak RSS is the engine's alone."""
    script = (
        "import resource, sys, time\n"
        "from threadpoolctl import threadpool_limits\n"
        "from supportability.batch.local import score_file\n"
        "from supportability.registry import Registry\n"
        "model = Registry(sys.argv[1]).load()\n"
        "started, cpu_started = time.perf_counter(), time.process_time()\n"
        "with threadpool_limits(limits=1):\n"
        "    n = score_file(model, sys.argv[2], sys.argv[3])\n"
        "seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started\n"
        "print(n, seconds, cpu_seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, registry, str(path), str(workdir / "local.parquet")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    count, seconds, cpu_seconds, rss_kib = int(out[0]), float(out[1]), float(out[2]), int(out[3])
    return {
        "cases_per_second": count / seconds,
        "cases_per_cpu_second": count / cpu_seconds,
        "peak_rss_mb": rss_kib / 1024,
    }


def _spark(registry: str, path: Path, workdir: Path, master: str) -> dict[str, float]:
    from supportability.batch import spark

    started = time.perf_counter()
    session = spark.session(master, "supportability-bench")
    session.range(1).count()  # the JVM and a first job: what every run pays before scoring
    start_seconds = time.perf_counter() - started
    try:
        # Each Python worker's start and its one model load, paid once per session: start-up too.
        started, cpu_started = time.perf_counter(), _tree_cpu_seconds()
        spark.score_file(session, registry, _warm_up_file(path, workdir), workdir / "spark-warm-up.parquet")
        workers_seconds, workers_cpu_seconds = time.perf_counter() - started, _tree_cpu_seconds() - cpu_started
        started, cpu_started = time.perf_counter(), _tree_cpu_seconds()
        count = spark.score_file(session, registry, path, workdir / "spark.parquet")
        seconds, cpu_seconds = time.perf_counter() - started, _tree_cpu_seconds() - cpu_started
    finally:
        session.stop()
    cores = _cores(master)
    return {"session_start_seconds": start_seconds, "workers_start_seconds": workers_seconds,
            "workers_start_cpu_seconds": workers_cpu_seconds, "cases_per_second": count / seconds,
            "cases_per_second_per_core": count / seconds / cores, "cases_per_cpu_second": count / cpu_seconds,
            "cores": cores}  # fmt: skip


def _warm_up_file(path: Path, workdir: Path) -> Path:
    """The input's first WARM_UP_CASES cases: a job with a task per core, each starting a worker."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    warm = workdir / f"warm-up-{WARM_UP_CASES}.parquet"
    if not warm.exists():
        first = next(pq.ParquetFile(path).iter_batches(batch_size=WARM_UP_CASES))
        pq.write_table(pa.Table.from_batches([first]), warm)
    return warm


def _tree_cpu_seconds() -> float:
    """CPU seconds used so far by this process and its live descendants (Spark's JVM and Python
    workers) and the children they waited for, from /proc (Linux)."""
    parent_of, used = {}, {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split() if entry.name.isdigit() else None
        except OSError:  # ended while we looked
            continue
        if fields:  # after the name: state, ppid, ..., utime (11), stime, cutime, cstime (14)
            parent_of[int(entry.name)] = int(fields[1])
            used[int(entry.name)] = sum(int(f) for f in fields[11:15]) / tick
    tree, added = {os.getpid()}, True
    while added:
        grown = tree | {pid for pid, parent in parent_of.items() if parent in tree}
        tree, added = grown, len(grown) > len(tree)
    return sum(used.get(pid, 0.0) for pid in tree)


def _cores(master: str) -> int:
    found = re.fullmatch(r"local\[(\d+)\]", master)
    return int(found.group(1)) if found else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--registry", default="var/registry")
    parser.add_argument("--workdir", type=Path, default=Path(".cache/bench/batch"))
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--engines", default="model,local,spark", help="which of model, local, spark to time")
    args = parser.parse_args()
    engines = set(args.engines.split(","))
    args.workdir.mkdir(parents=True, exist_ok=True)
    path = _cases_file(args.workdir, args.cases)
    result: dict[str, object] = {"cases": args.cases, "load_average_before": os.getloadavg()}
    if "model" in engines:
        result["model"] = model = _model_per_core(args.registry, path)
    if "local" in engines:
        result["local_engine"] = _local_engine(args.registry, path, args.workdir)
    if "spark" in engines:
        result["spark"] = spark = _spark(args.registry, path, args.workdir, args.master)
        if "model" in engines:
            result["spark_per_core_over_model_per_core"] = {
                "wall_clock": spark["cases_per_second_per_core"] / model["cases_per_second_per_core"],
                "cpu_time": spark["cases_per_cpu_second"] / model["cases_per_cpu_second"],
            }
    result["load_average_after"] = os.getloadavg()
    result["bench_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
