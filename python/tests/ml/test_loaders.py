"""Loaders: round trips in every format, and clear errors naming file, row and column."""

from __future__ import annotations

import json

import numpy as np
import pytest

from supportability.data.generator import GeneratorConfig, generate
from supportability.data.io import write_cases
from supportability.data.loaders import DataError, load_cases

HEADER = "subject,body,channel,queue,escalated,urgency,disputes_30d\n"


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_round_trip_keeps_cases_labels_and_truth(tmp_path, suffix):
    data = generate(GeneratorConfig(n_cases=200, seed=3))
    path = write_cases(data, tmp_path / f"cases{suffix}")
    loaded, skipped = load_cases(path)
    assert skipped == []
    assert loaded.fingerprint() == data.fingerprint()
    assert np.allclose(loaded.truth["routing"], data.truth["routing"])
    assert list(loaded.truth["queues"]) == list(data.truth["queues"])
    for key in ("topic", "routing_noise", "urgency_noise"):
        assert np.array_equal(loaded.truth[key], data.truth[key]), key


def write(tmp_path, text, name="cases.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_missing_column_names_the_file_and_column(tmp_path):
    path = write(tmp_path, "subject,body,queue\nhi,payout late,payouts\n")
    with pytest.raises(DataError) as error:
        load_cases(path)
    assert str(error.value).startswith(str(path)) and "column 'channel'" in str(error.value)
    with pytest.raises(DataError, match="needs a 'subject' or 'body' column"):
        load_cases(write(tmp_path, "title,channel\nhi,email\n"))


def test_wrong_type_and_unknown_enum_name_row_and_column(tmp_path):
    path = write(tmp_path, HEADER + "a,b,email,payouts,1,high,0\nc,d,email,refunds,0,low,two\n")
    with pytest.raises(DataError) as error:
        load_cases(path)
    assert (error.value.row, error.value.column) == (2, "disputes_30d")
    assert "expected a number, got 'two'" in str(error.value) and "row 2" in str(error.value)

    path = write(tmp_path, HEADER + "a,b,fax,payouts,1,high,0\n")
    with pytest.raises(DataError, match="row 1, column 'channel': unknown value 'fax'"):
        load_cases(path)
    path = write(tmp_path, HEADER + "a,b,chat,payouts,maybe,high,0\n")
    with pytest.raises(DataError, match="column 'escalated': expected 0/1"):
        load_cases(path)
    path = write(tmp_path, HEADER + "a,b,chat,payouts,1,extreme,0\n")
    with pytest.raises(DataError, match="column 'urgency': unknown value 'extreme'"):
        load_cases(path)
    path = write(tmp_path, HEADER + "a,b,chat,payouts,1,low,-1\n")
    with pytest.raises(DataError, match="must be >= 0"):
        load_cases(path)


def test_jsonl_errors_name_the_line(tmp_path):
    rows = [{"body": "x", "channel": "chat"}, {"body": "y", "channel": "chat", "account_age_days": 1.5}]
    path = write(tmp_path, "\n".join(json.dumps(r) for r in rows) + "\n", "cases.jsonl")
    with pytest.raises(DataError, match="line 2, column 'account_age_days': expected an integer"):
        load_cases(path)
    path = write(tmp_path, '{"body": "x", "channel": "chat"}\n{not json\n', "broken.jsonl")
    with pytest.raises(DataError, match="line 2: not valid JSON"):
        load_cases(path)


def test_skip_invalid_reports_every_skipped_row(tmp_path):
    path = write(tmp_path, HEADER + "a,b,email,payouts,1,high,0\n,,email,payouts,1,high,0\nc,d,fax,x,0,low,0\n")
    data, skipped = load_cases(path, skip_invalid=True)
    assert len(data) == 1
    assert [(e.row, e.column) for e in skipped] == [(2, "body"), (3, "channel")]


def test_mapping_and_defaults(tmp_path):
    path = write(tmp_path, 'text,category\nI lost my card,lost_card\n"multi\nline",card_arrival\n')
    data, _ = load_cases(path, columns={"body": "text", "queue": "category"}, defaults={"channel": "web_form"})
    assert [c.body for c in data.cases] == ["I lost my card", "multi\nline"]
    assert list(data.labels["queue"]) == ["lost_card", "card_arrival"]
    assert {c.channel for c in data.cases} == {"web_form"}
    with pytest.raises(DataError, match="column 'label': missing column"):
        load_cases(path, columns={"body": "text", "queue": "label"}, defaults={"channel": "chat"})
    with pytest.raises(DataError, match="unknown field 'colour'"):
        load_cases(path, columns={"colour": "text"})


def test_contract_style_enum_names_and_extra_features(tmp_path):
    path = write(
        tmp_path, "body,channel,support_plan,extra.vip,extra.segment\nx,CHANNEL_EMAIL,SUPPORT_PLAN_PREMIUM,true,smb\n"
    )
    data, _ = load_cases(path)
    case = data.cases[0]
    assert (case.channel, case.support_plan) == ("email", "premium")
    assert dict(case.extra_features) == {"vip": True, "segment": "smb"}
