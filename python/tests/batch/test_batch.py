"""Batch scoring on both engines: the same predictions as the in-process model, row for row, and
bad rows reported by file, row and column with nothing written."""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from supportability.batch import local
from supportability.batch import spark as batch_spark
from supportability.batch.columns import ARTICLE_COUNT, TOP_K, prediction_ids, score
from supportability.data.loaders import DataError, load_cases
from supportability.models.scope import OutOfScope
from supportability.registry import Registry

PROBABILITIES = [
    "routing_probability",
    "escalation_probability",
    "urgency_probability",
    "csat_risk_probability",
    "resolution_p50_hours",
    "resolution_p90_hours",
    "decision_confidence",
    "decision_threshold",
]
LISTS = {"routing_top_probabilities": "routing_top", "suggested_article_scores": "article_scores"}
LABELS = ["row", "case_id", "model_version", "routing_queue", "routing_top_queues", "urgency_level",
          "suggested_article_ids", "decision_action", "decision_reason"]  # fmt: skip


def _sorted(path: Path) -> pa.Table:
    return pq.read_table(path).sort_by("row")


def _assert_same(scored: pa.Table, expected: dict[str, list[Any]]) -> None:
    for name in LABELS:
        assert scored.column(name).to_pylist() == expected[name], name
    for name in PROBABILITIES:
        got = np.array(scored.column(name).to_pylist(), dtype=float)
        np.testing.assert_allclose(got, np.array(expected[name], dtype=float), rtol=0, atol=1e-9, err_msg=name)
    for name, key in LISTS.items():
        for got, want in zip(scored.column(name).to_pylist(), expected[key], strict=True):
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-9, err_msg=name)


@pytest.fixture(scope="module")
def expected(registry_path: Path, cases_file: Path) -> dict[str, list[Any]]:
    """What the in-process batch path (the model on the loaded cases) says, in the output's terms."""
    data, _ = load_cases(cases_file)
    return _predicted(Registry(registry_path).load(), data.cases)


def _predicted(model: Any, cases: list[Any]) -> dict[str, list[Any]]:
    results = model.predict(cases, top_k=TOP_K, article_count=ARTICLE_COUNT)
    return {
        "row": list(range(1, len(cases) + 1)),
        "case_id": [c.case_id for c in cases],
        "model_version": [model.info.version] * len(results),
        "routing_queue": [r.routing[0][0] for r in results],
        "routing_top_queues": [[q for q, _ in r.routing] for r in results],
        "routing_top": [[p for _, p in r.routing] for r in results],
        "urgency_level": [r.urgency[0] for r in results],
        "suggested_article_ids": [[a[0] for a in r.articles] for r in results],
        "article_scores": [[a[2] for a in r.articles] for r in results],
        "decision_action": [r.decision[0] for r in results],
        "decision_reason": [r.decision_reason for r in results],
        "routing_probability": [r.routing[0][1] for r in results],
        "escalation_probability": [r.escalation for r in results],
        "urgency_probability": [r.urgency[1][r.urgency[0]] for r in results],
        "csat_risk_probability": [r.csat_risk for r in results],
        "resolution_p50_hours": [r.resolution_time[0] for r in results],
        "resolution_p90_hours": [r.resolution_time[1] for r in results],
        "decision_confidence": [r.decision[2] for r in results],
        "decision_threshold": [r.decision[3] for r in results],
    }


def test_every_decision_is_the_one_predict_makes(registry_path, cases_file):
    # An out-of-scope test at the median score of the cases below the decision threshold: out of
    # scope, low confidence and auto-routed cases all occur, and the columns say what predict says.
    model = Registry(registry_path).load()
    data, _ = load_cases(cases_file)
    cases = data.cases[:1_000]
    confidence = model.probabilities(model.raw_scores(cases)[0])["routing"].max(axis=1)
    median = float(np.median(confidence[confidence < model.decision_threshold]))
    model = dataclasses.replace(model, out_of_scope=OutOfScope("max_probability", median, 0.5))
    scored = pa.Table.from_batches([score(model, list(range(1, len(cases) + 1)), cases)])
    expected = _predicted(model, cases)
    _assert_same(scored, expected)
    assert set(scored.column("decision_reason").to_pylist()) == {None, "low_confidence", "out_of_scope"}


def test_a_task_the_model_does_not_serve_is_null(registry_path, cases_file):
    model = Registry(registry_path).load()
    heads = {task: head for task, head in model.heads.items() if task != "urgency"}
    model = dataclasses.replace(model, heads=heads, articles=None, decision_threshold=None)
    data, _ = load_cases(cases_file)
    scored = score(model, [1, 2, 3], data.cases[:3])
    assert scored.column("urgency_level").null_count == 3 and scored.column("decision_action").null_count == 3
    assert scored.column("suggested_article_ids").to_pylist() == [[], [], []]  # as predict's: no articles
    assert scored.column("routing_queue").to_pylist() == [r.routing[0][0] for r in model.predict(data.cases[:3])]


def test_prediction_ids_are_uuid7_unique_and_in_row_order():
    ids = prediction_ids(50_000).to_pylist()
    parsed = [uuid.UUID(i) for i in ids]
    assert all(u.version == 7 and u.variant == uuid.RFC_4122 and str(u) == i for u, i in zip(parsed, ids, strict=True))
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert prediction_ids(0).to_pylist() == []


def test_the_local_engine_scores_as_the_model_does_in_chunks(registry_path, cases_file, expected, tmp_path):
    out = tmp_path / "predictions.parquet"
    count = local.score_file(Registry(registry_path).load(), cases_file, out, chunk_rows=700)
    assert count == len(expected["row"])
    scored = _sorted(out)
    _assert_same(scored, expected)
    ids = scored.column("prediction_id").to_pylist()
    assert len(set(ids)) == len(ids) and all(len(i) == 36 for i in ids)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_text_formats_score_the_same(registry_path, cases_file, expected, tmp_path, suffix):
    from supportability.data.io import write_cases

    data, _ = load_cases(cases_file)
    converted = write_cases(data, tmp_path / f"cases{suffix}")
    out = tmp_path / "predictions.parquet"
    local.score_file(Registry(registry_path).load(), converted, out)
    scored = _sorted(out)
    for name in ("routing_queue", "decision_action", "case_id"):
        assert scored.column(name).to_pylist() == expected[name]


def _with_bad_row(cases_file: Path, tmp_path: Path) -> Path:
    rows = pq.read_table(cases_file).slice(0, 50).to_pylist()
    rows[41]["disputes_30d"] = -3
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def test_a_bad_row_is_named_and_nothing_is_written(registry_path, cases_file, tmp_path):
    bad = _with_bad_row(cases_file, tmp_path)
    out = tmp_path / "predictions.parquet"
    with pytest.raises(DataError) as caught:
        local.score_file(Registry(registry_path).load(), bad, out, chunk_rows=10)
    assert (caught.value.row, caught.value.column) == (42, "disputes_30d")
    assert str(bad) in str(caught.value)
    assert not out.exists() and not list(tmp_path.glob(".*partial*"))


def test_spark_scores_as_the_local_engine_with_empty_partitions(spark, registry_path, cases_file, expected, tmp_path):
    # Small splits of a file with three row groups: most partitions are empty.
    spark.conf.set("spark.sql.files.maxPartitionBytes", "16384")
    try:
        out = tmp_path / "spark.parquet"
        count = batch_spark.score_file(spark, registry_path, cases_file, out)
        assert spark.read.parquet(str(cases_file)).rdd.getNumPartitions() > 3
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
    assert count == len(expected["row"])
    _assert_same(_sorted(out), expected)


def test_spark_spreads_a_file_of_one_row_group_over_the_cores(spark, registry_path, cases_file, expected, tmp_path):
    single = tmp_path / "one-group.parquet"
    pq.write_table(pq.read_table(cases_file), single)  # one row group: one partition holds every row
    assert pq.ParquetFile(single).metadata.num_row_groups == 1
    out = tmp_path / "spark.parquet"
    assert batch_spark.score_file(spark, registry_path, single, out) == len(expected["row"])
    _assert_same(_sorted(out), expected)
    assert len(list(out.glob("part-*.parquet"))) == spark.sparkContext.defaultParallelism  # every core had work


def test_spark_names_the_bad_row_as_the_loader_does(spark, registry_path, cases_file, tmp_path):
    bad = _with_bad_row(cases_file, tmp_path)
    out = tmp_path / "spark.parquet"
    with pytest.raises(DataError) as caught:
        batch_spark.score_file(spark, registry_path, bad, out)
    assert (caught.value.path, caught.value.row, caught.value.column) == (str(bad), 42, "disputes_30d")
    assert not out.exists()


def test_the_sql_udf_predicts_a_struct_per_row(spark, registry_path, cases_file, expected):
    from pyspark.sql import functions as F

    frame = spark.read.parquet(str(cases_file)).limit(200)
    predict = batch_spark.predict_udf(registry_path)
    rows = frame.select("case_id", predict(F.struct(*frame.columns)).alias("p")).collect()
    by_case = {r["case_id"]: r["p"] for r in rows}
    for i, case_id in enumerate(expected["case_id"][:200]):
        assert by_case[case_id]["routing_queue"] == expected["routing_queue"][i]
        assert abs(by_case[case_id]["escalation_probability"] - expected["escalation_probability"][i]) < 1e-9
