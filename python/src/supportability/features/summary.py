"""The summary of a case's inputs that drift is measured on: the same for the training reference
(stored in a version's manifest) and for every logged prediction. Never the text itself."""

from __future__ import annotations

from typing import Any

from supportability.domain import Case

# Categorical inputs, compared by their share of each value.
CATEGORICAL_INPUTS = ("channel", "language", "support_plan", "integration_type")
# Numeric inputs, compared over fixed quantile bins of the training reference.
NUMERIC_INPUTS = (
    "subject_chars",
    "body_chars",
    "account_age_days",
    "monthly_volume_usd",
    "disputes_30d",
    "failed_payouts_30d",
    "declined_charges_30d",
    "previous_cases_30d",
)


INPUT_NAMES = CATEGORICAL_INPUTS + NUMERIC_INPUTS


def input_values(case: Case) -> tuple[Any, ...]:
    """The drift-relevant inputs of one case as plain JSON values, in `INPUT_NAMES` order (what the
    serving process hands the prediction log: a tuple is cheaper to build and to pickle than a dict)."""
    return (
        case.channel,
        case.language,
        case.support_plan,
        case.integration_type,
        len(case.subject),
        len(case.body),
        case.account_age_days,
        case.monthly_volume_usd,
        case.disputes_30d,
        case.failed_payouts_30d,
        case.declined_charges_30d,
        case.previous_cases_30d,
    )


def named_inputs(values: tuple[Any, ...]) -> dict[str, Any]:
    """`input_values` by name."""
    return dict(zip(INPUT_NAMES, values, strict=True))


def summarize_inputs(case: Case) -> dict[str, Any]:
    """The drift-relevant inputs of one case as plain JSON values, by name."""
    return named_inputs(input_values(case))
