"""Account-context features: one-hot categories and standardised log counts, as a dense vector.

Feature names follow the contract's explanation style: "account.disputes_30d", "channel=chat".
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from supportability.models.api import CHANNELS, INTEGRATION_TYPES, SUPPORT_PLANS, Case

EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
# (feature name, how to read it from a case); counts and money are compressed with log1p.
NUMERIC = (
    ("account.account_age_days", lambda c: math.log1p(max(c.account_age_days, 0))),
    ("account.monthly_volume_usd", lambda c: math.log1p(max(c.monthly_volume_usd, 0.0))),
    ("account.disputes_30d", lambda c: math.log1p(max(c.disputes_30d, 0))),
    ("account.failed_payouts_30d", lambda c: math.log1p(max(c.failed_payouts_30d, 0))),
    ("account.declined_charges_30d", lambda c: math.log1p(max(c.declined_charges_30d, 0))),
    ("account.previous_cases_30d", lambda c: math.log1p(max(c.previous_cases_30d, 0))),
)
MIN_CATEGORY_COUNT = 20  # rarer industries / countries share the all-zero "other" encoding


def _years(case: Case, now: datetime) -> float:
    created = case.create_time or now
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return (created - EPOCH).total_seconds() / (365.0 * 86400)


@dataclass
class ContextEncoder:
    categories: dict[str, list[str]] = field(default_factory=dict)  # attribute -> known values
    extra_numeric: list[str] = field(default_factory=list)  # the user's numeric/bool extra features
    mean: np.ndarray | None = None
    scale: np.ndarray | None = None
    names: list[str] = field(default_factory=list)

    def fit(self, cases: Sequence[Case]) -> ContextEncoder:
        def frequent(attr: str) -> list[str]:
            counts = Counter(getattr(c, attr) for c in cases)
            return sorted(v for v, n in counts.items() if v and n >= MIN_CATEGORY_COUNT)

        self.categories = {
            "channel": list(CHANNELS),
            "support_plan": list(SUPPORT_PLANS),
            "integration_type": list(INTEGRATION_TYPES),
            "language": frequent("language"),
            "industry": frequent("industry"),
            "country_code": frequent("country_code"),
        }
        extra = Counter(k for c in cases for k, v in c.extra_features.items() if isinstance(v, int | float | bool))
        self.extra_numeric = sorted(k for k, n in extra.items() if n >= MIN_CATEGORY_COUNT)
        self.names = ([name for name, _ in NUMERIC] + ["create_time.years"] +
                      [f"extra.{k}" for k in self.extra_numeric] +
                      [f"{attr}={v}" for attr, values in self.categories.items() for v in values])
        raw = self._raw(cases)
        n_numeric = len(NUMERIC) + 1 + len(self.extra_numeric)
        self.mean = np.zeros(len(self.names))
        self.scale = np.ones(len(self.names))
        self.mean[:n_numeric] = raw[:, :n_numeric].mean(axis=0)
        std = raw[:, :n_numeric].std(axis=0)
        # A (nearly) constant column, e.g. create_time when the data has none, must not be blown up.
        self.scale[:n_numeric] = np.where(std > 1e-3, std, 1.0)
        return self

    def _raw(self, cases: Sequence[Case], now: datetime | None = None) -> np.ndarray:
        now = now or datetime.now(UTC)
        offsets, position = {}, len(NUMERIC) + 1 + len(self.extra_numeric)
        for attr, values in self.categories.items():
            offsets[attr] = {v: position + k for k, v in enumerate(values)}
            position += len(values)
        out = np.zeros((len(cases), len(self.names)))
        for row, case in enumerate(cases):
            values = [read(case) for _, read in NUMERIC]
            values.append(_years(case, now))
            values += [float(case.extra_features.get(k, 0.0)) for k in self.extra_numeric]
            out[row, :len(values)] = values
            plan = case.support_plan or "standard"
            for attr, index in offsets.items():
                k = index.get(plan if attr == "support_plan" else getattr(case, attr))
                if k is not None:
                    out[row, k] = 1.0
        return out

    def transform(self, cases: Sequence[Case], now: datetime | None = None) -> np.ndarray:
        assert self.mean is not None and self.scale is not None, "fit the encoder first"
        return (self._raw(cases, now) - self.mean) / self.scale
