"""The time of a case is not a model input (features/context.py says why); models fitted while it
was read it still, and a case without a time leaves them where the training data's average was."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import numpy as np

from supportability.features.context import NUMERIC, YEARS, ContextEncoder


def test_a_fitted_encoder_has_no_time_column_and_ignores_the_time(small_model, small_data):
    model, splits = small_model
    assert YEARS not in model.context.names
    case = small_data.cases[splits.test[0]]
    dated = [dataclasses.replace(case, create_time=t) for t in (None, datetime(2020, 1, 1), datetime(2031, 6, 1))]
    predictions = model.predict(dated, explain=True)
    assert predictions[0].routing == predictions[1].routing == predictions[2].routing
    assert predictions[0].explanations == predictions[2].explanations


def _with_time_column(fitted: ContextEncoder, mean_years: float) -> ContextEncoder:
    """`fitted` as an encoder of the older layout, with the time column after the account counts."""
    assert fitted.mean is not None and fitted.scale is not None
    at = len(NUMERIC)
    return ContextEncoder(
        categories=fitted.categories,
        extra_numeric=fitted.extra_numeric,
        mean=np.insert(fitted.mean, at, mean_years),
        scale=np.insert(fitted.scale, at, 0.5),
        names=[*fitted.names[:at], YEARS, *fitted.names[at:]],
    )


def test_an_older_model_reads_a_given_time_and_puts_a_missing_one_at_the_training_mean(small_model, small_data):
    old = _with_time_column(small_model[0].context, mean_years=1.0)
    column = old.names.index(YEARS)
    case = dataclasses.replace(small_data.cases[0], create_time=None)
    two_years_on = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=730)  # the old column counted from 2024
    dated = dataclasses.replace(case, create_time=two_years_on)
    batch = old.transform([case, dated])
    assert batch[0, column] == 0.0  # contributes nothing, so it is never among the explanations
    assert batch[1, column] == (2.0 - 1.0) / 0.5
    assert old.transform_one(case)[column] == 0.0
    np.testing.assert_allclose(old.transform_one(dated), batch[1], rtol=0, atol=1e-12)


def test_an_older_model_gives_a_batch_the_features_of_each_case_alone(small_model, small_data):
    old = _with_time_column(small_model[0].context, mean_years=1.0)
    cases = [*small_data.cases[:50], dataclasses.replace(small_data.cases[0], create_time=None)]
    for now in (None, datetime(2027, 3, 1)):
        batch = old.transform(cases, now)
        assert all(np.array_equal(old.transform_one(c, now), row) for c, row in zip(cases, batch, strict=True))
