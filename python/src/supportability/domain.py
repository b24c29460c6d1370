"""The ground floor of the package: what a support case is, and the names every layer shares.

Nothing here imports the rest of the package, so data, features, models, serving and the online
side can all depend on it without a cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

# The task names used everywhere: ModelInfo.tasks, metrics, explanations.
TASKS = ("routing", "escalation", "urgency", "csat_risk", "resolution_time", "articles", "decision")
CHANNELS = ("email", "chat", "phone", "web_form", "api")
SUPPORT_PLANS = ("standard", "premium", "enterprise")
INTEGRATION_TYPES = ("hosted", "direct_api", "plugin", "platform", "terminal")
URGENCY_LEVELS = ("low", "normal", "high", "critical")


@dataclass(frozen=True, slots=True)
class Case:
    """One support case. Enums are lower-case strings (see the tuples above)."""

    subject: str
    body: str
    channel: str
    language: str = ""
    case_id: str = ""
    create_time: datetime | None = None
    merchant_id: str = ""
    country_code: str = ""
    account_age_days: int = 0
    industry: str = ""
    support_plan: str = "standard"
    monthly_volume_usd: float = 0.0
    integration_type: str = ""
    disputes_30d: int = 0
    failed_payouts_30d: int = 0
    declined_charges_30d: int = 0
    previous_cases_30d: int = 0
    extra_features: Mapping[str, float | str | bool] = field(default_factory=dict)
