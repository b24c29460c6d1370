"""The label audit: it finds the noise the generator recorded, writes a whole report or nothing, and
refuses data it cannot audit with a message naming the problem."""

from __future__ import annotations

import csv
import json
from dataclasses import replace

import numpy as np
import pytest
from click.testing import CliRunner

from supportability.audit.duplicates import conflicts, dissenters
from supportability.audit.run import AuditError, audit
from supportability.cli import main
from supportability.data.generator import GeneratorConfig, generate
from supportability.data.io import write_cases

NOISY = GeneratorConfig(n_cases=1_500, seed=13, label_noise=0.2)


@pytest.fixture(scope="module")
def noisy_file(tmp_path_factory):
    return write_cases(generate(NOISY), tmp_path_factory.mktemp("audit") / "noisy.csv")


@pytest.fixture(scope="module")
def audited(noisy_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "audit"
    result = CliRunner().invoke(
        main, ["data", "audit", str(noisy_file), "--text-weighting", "counts", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return out, result.output


def test_the_audit_finds_the_recorded_noise_better_than_chance(audited):
    out, output = audited
    summary = json.loads((out / "audit.json").read_text())
    routing = summary["tasks"]["routing"]
    truth = routing["against_truth"]
    share = truth["noisy"] / summary["cases"]
    assert 0.15 < share < 0.25
    # Confident learning's flags are mostly noise, and find most of it (chance precision: the share).
    assert truth["flagged_precision"] > 2 * share and truth["flagged_recall"] > 0.5, truth
    precisions = [c["precision"] for c in truth["curve"] if c["precision"] is not None]
    assert precisions[-1] > precisions[0]  # more confident flags are more often right
    # The share of right labels is estimated near the truth (1 - noise share * 11 / 12), from below: a
    # model fitted on 1,500 cases takes some ambiguous cases for errors (0.75 vs 0.83 here; 0.83 vs
    # 0.86 on 30,000 cases).
    right = 1 - truth["noisy"] / summary["cases"] * 11 / 12
    assert right - 0.12 < routing["accuracy_ceiling"] < right + 0.02
    assert set(routing["noise_rates"]) == set(routing["label_counts"]) and "urgency" in summary["tasks"]
    assert "precision" in output and "report:" in output


def test_flagged_rows_name_file_row_labels_and_confidence(audited, noisy_file):
    out, _ = audited
    with (out / "flagged.csv").open() as f:
        rows = list(csv.DictReader(f))
    source = list(csv.DictReader(noisy_file.open()))
    summary = json.loads((out / "audit.json").read_text())
    learned = [r for r in rows if r["task"] == "routing" and r["reason"] == "confident_learning"]
    assert len(learned) == summary["tasks"]["routing"]["flagged"] > 0
    for r in learned[:50]:
        assert r["file"] == str(noisy_file)
        record = source[int(r["row"]) - 1]
        assert (record["case_id"], record["queue"]) == (r["case_id"], r["given_label"])
        assert r["suggested_label"] != r["given_label"] and 0 <= float(r["confidence"]) <= 1
    confidences = [float(r["confidence"]) for r in learned]
    assert confidences == sorted(confidences, reverse=True)
    page = (out / "report.html").read_text()
    assert "Against the recorded truth" in page and "cannot tell apart" in page


def test_near_duplicates_with_different_labels_suggest_the_majority():
    groups = np.array([0, 0, 0, 1, 1, 2])
    labels = np.array([1, 1, 0, 2, 2, 0])
    probs = np.full((6, 3), 1 / 3)
    found = conflicts(groups, labels, probs)
    assert [c.members for c in found] == [(0, 1, 2)]
    assert dissenters(found, labels) == [(2, 1, pytest.approx(2 / 3))]
    # A tie goes to the label the model finds likelier over the group.
    tie = conflicts(np.array([0, 0]), np.array([0, 1]), np.array([[0.2, 0.8], [0.3, 0.7]]))
    assert tie[0].majority == 1 and dissenters(tie, np.array([0, 1])) == [(0, 1, 0.5)]


def test_bad_input_is_refused_by_name_and_writes_nothing(tmp_path, noisy_file):
    runner = CliRunner()
    out = tmp_path / "out"

    def refused(path, *extra) -> str:
        result = runner.invoke(main, ["data", "audit", str(path), "--out", str(out), *extra])
        assert result.exit_code != 0 and not out.exists(), result.output
        assert list(tmp_path.glob(".out*")) == []
        return result.output

    assert "no such file" in refused(tmp_path / "missing.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert "empty file" in refused(empty)
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81" * 100)
    assert "cannot be read" in refused(binary)
    one_class = tmp_path / "one.csv"
    one_class.write_text("body,channel,queue\n" + "".join(f"case {i} payout,email,payouts\n" for i in range(80)))
    assert "one class ('payouts')" in refused(one_class)
    tiny = tmp_path / "tiny.csv"
    tiny.write_text("body,channel,queue\n" + "".join(f"case {i},email,q{i % 2}\n" for i in range(20)))
    assert "too few to cross-fit" in refused(tiny)
    unlabelled = tmp_path / "unlabelled.csv"
    unlabelled.write_text("body,channel\n" + "".join(f"case {i},email\n" for i in range(80)))
    assert "no routing label" in refused(unlabelled)
    # Only an earlier audit is ever replaced.
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    result = runner.invoke(main, ["data", "audit", str(noisy_file), "--out", str(out)])
    assert result.exit_code != 0 and "not an earlier audit" in result.output
    assert [p.name for p in out.iterdir()] == ["mine.txt"]


def test_an_unlearnable_urgency_is_noted_not_fatal():
    data = generate(replace(NOISY, n_cases=400))
    data.labels["urgency"] = np.array(["low"] * len(data), dtype=object)
    found = audit(data, text_weighting="counts")
    assert "urgency" not in found.labels and any("urgency not audited" in n for n in found.notes)
    del data.labels["queue"]
    with pytest.raises(AuditError, match="no routing label"):
        audit(data)
