"""Batch scoring, timed: the in-process model, the local engine and Spark local[2] on one file.

    python -m supportability.benchmarks.batch [--cases 1000000] [--registry var/registry]
        [--workdir .cache/bench/batch] [--master local[2]]

Generates the synthetic file once (kept in the work directory), then times, one after the other:
- the model alone, single-threaded, on the loaded cases in chunks of 10,000 (cases/s per core);
- the local engine (`batch score --engine local`: parse, predict, write) in a child process, for
  its cases/s and its peak RSS (the whole file never is in memory);
- Spark: the session's start-up, and `batch score --engine spark` on `--master`, as cases/s per
  core (the master's core count).
Prints JSON; the ratio the issue targets is spark per core / model per core.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

from supportability.batch.columns import ARTICLE_COUNT, TOP_K


def _cases_file(workdir: Path, cases: int) -> Path:
    from supportability.data.generator import GeneratorConfig, generate
    from supportability.data.io import write_cases

    path = workdir / f"cases-{cases}.parquet"
    if not path.exists():
        write_cases(generate(GeneratorConfig(n_cases=cases, seed=23)), path)
    return path


def _model_per_core(registry: str, path: Path) -> float:
    from threadpoolctl import threadpool_limits

    from supportability.data.loaders import iter_cases
    from supportability.registry import Registry

    model = Registry(registry).load()
    seconds, count = 0.0, 0
    with threadpool_limits(limits=1):
        for chunk in iter_cases(path, chunk_rows=10_000):
            cases = [c for _, c in chunk]
            started = time.perf_counter()
            model.predict(cases, top_k=TOP_K, article_count=ARTICLE_COUNT)
            seconds += time.perf_counter() - started
            count += len(cases)
    return count / seconds


def _local_engine(registry: str, path: Path, workdir: Path) -> dict[str, float]:
    """In a child process, so that its peak RSS is the engine's alone."""
    script = (
        "import resource, sys, time\n"
        "from threadpoolctl import threadpool_limits\n"
        "from supportability.batch.local import score_file\n"
        "from supportability.registry import Registry\n"
        "model = Registry(sys.argv[1]).load()\n"
        "started = time.perf_counter()\n"
        "with threadpool_limits(limits=1):\n"
        "    n = score_file(model, sys.argv[2], sys.argv[3])\n"
        "print(n, time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, registry, str(path), str(workdir / "local.parquet")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    count, seconds, rss_kib = int(out[0]), float(out[1]), int(out[2])
    return {"cases_per_second": count / seconds, "peak_rss_mb": rss_kib / 1024}


def _spark(registry: str, path: Path, workdir: Path, master: str) -> dict[str, float]:
    from supportability.batch import spark

    started = time.perf_counter()
    session = spark.session(master, "supportability-bench")
    session.range(1).count()  # the JVM and a first job: what every run pays before scoring
    start_seconds = time.perf_counter() - started
    try:
        started = time.perf_counter()
        count = spark.score_file(session, registry, path, workdir / "spark.parquet")
        seconds = time.perf_counter() - started
    finally:
        session.stop()
    cores = _cores(master)
    return {"session_start_seconds": start_seconds, "cases_per_second": count / seconds,
            "cases_per_second_per_core": count / seconds / cores, "cores": cores}  # fmt: skip


def _cores(master: str) -> int:
    found = re.fullmatch(r"local\[(\d+)\]", master)
    return int(found.group(1)) if found else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--registry", default="var/registry")
    parser.add_argument("--workdir", type=Path, default=Path(".cache/bench/batch"))
    parser.add_argument("--master", default="local[2]")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    path = _cases_file(args.workdir, args.cases)
    model = _model_per_core(args.registry, path)
    local = _local_engine(args.registry, path, args.workdir)
    spark = _spark(args.registry, path, args.workdir, args.master)
    result = {
        "cases": args.cases,
        "model_cases_per_second_per_core": model,
        "local_engine": local,
        "spark": spark,
        "spark_per_core_over_model_per_core": spark["cases_per_second_per_core"] / model,
        "bench_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
