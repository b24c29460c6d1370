"""The account-context features of a batch are built column by column, those of one case as a row of
plain floats (features/context.py): the two must agree to the bit, or a case would score differently
alone and inside a batch."""

from __future__ import annotations

import dataclasses

import numpy as np

from supportability.domain import Case
from supportability.features.context import ContextEncoder


def _odd_cases(cases: list[Case]) -> list[Case]:
    """Real cases, and the same with what a caller may send: unknown categories, no plan, negative
    or huge counts, extra features missing or of another type."""
    first = cases[0]
    return [
        *cases,
        dataclasses.replace(first, country_code="ZZ", industry="unheard-of", language="xx", channel=""),
        dataclasses.replace(first, support_plan="", integration_type="", monthly_volume_usd=0.0),
        dataclasses.replace(first, account_age_days=-5, disputes_30d=10**9, monthly_volume_usd=1e300),
        dataclasses.replace(first, extra_features={}),
        dataclasses.replace(first, extra_features={"seats": True, "tier": "gold", "arr": 12.5}),
    ]


def _assert_rows_match(encoder: ContextEncoder, cases: list[Case]) -> None:
    batch = encoder.transform(cases)
    assert batch.shape == (len(cases), len(encoder.names))
    for case, row in zip(cases, batch, strict=True):
        assert np.array_equal(np.array(encoder.transform_one(case)), row), case


def test_a_batch_and_each_case_alone_get_the_same_features(small_data):
    cases = [
        dataclasses.replace(c, extra_features={"seats": i % 7, "arr": i * 0.5})
        for i, c in enumerate(small_data.cases[:400])
    ]
    encoder = ContextEncoder().fit(cases)
    assert encoder.extra_numeric == ["arr", "seats"]  # the extra columns are exercised too
    _assert_rows_match(encoder, _odd_cases(cases[:200]))
