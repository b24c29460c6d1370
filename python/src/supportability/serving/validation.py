"""Request validation: every rule that makes a request INVALID_ARGUMENT, in one place.

Validators return field violations rather than raising, so one error lists every problem
with a request, and a batch error names each bad case by index.

The enums of a case (channel, support plan, integration type) follow one rule: left unset
(`*_UNSPECIFIED`) they mean "not known" and the case is served; a number the contract does not
define is refused, and the violation lists the values that are allowed. Many callers (grpcurl,
LLM tools, a first try) send only a subject and a body; the models read an unknown channel as
no channel at all, and stay calibrated on such cases (python/README.md, "Validation").
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from google.protobuf import struct_pb2
from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper

from supportability.errors import FieldViolation, timestamp_violations
from supportability.v1 import prediction_pb2, support_case_pb2

MAX_SUBJECT_CHARS = 1_000
MAX_BODY_CHARS = 20_000
MAX_BATCH_CASES = 1_000
MAX_TOP_K = 20
MAX_EXTRA_FEATURES = 64
MAX_FEATURE_NAME_CHARS = 64
MAX_FEATURE_STRING_CHARS = 256
MAX_ID_CHARS = 128
# BCP 47 in the shape callers send: a primary language subtag and optional subtags ("en", "pt-BR").
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def _enum_rule(enum: EnumTypeWrapper) -> tuple[frozenset[int], str]:
    """An enum's numbers, and its names but the zero value's, for `_enum_violations`."""
    return frozenset(enum.values()), ", ".join(name for name, number in enum.items() if number)


_CHANNEL = _enum_rule(support_case_pb2.Channel)
_PLAN = _enum_rule(support_case_pb2.SupportPlan)
_INTEGRATION = _enum_rule(support_case_pb2.IntegrationType)
_COUNT_FIELDS = ("account_age_days", "disputes_30d", "failed_payouts_30d", "declined_charges_30d", "previous_cases_30d")


def case_violations(case: support_case_pb2.SupportCase, path: str) -> list[FieldViolation]:
    """Everything wrong with one case; `path` prefixes field names (e.g. `support_cases[2]`)."""
    out: list[FieldViolation] = []
    if not case.subject.strip() and not case.body.strip():
        out.append(FieldViolation(f"{path}.subject", "a case needs a subject or a body; both are empty"))
    if len(case.subject) > MAX_SUBJECT_CHARS:
        out.append(FieldViolation(f"{path}.subject", f"longer than {MAX_SUBJECT_CHARS} characters"))
    if len(case.body) > MAX_BODY_CHARS:
        out.append(FieldViolation(f"{path}.body", f"longer than {MAX_BODY_CHARS} characters"))
    out += _enum_violations(_CHANNEL, case.channel, f"{path}.channel")
    if case.language and not _LANGUAGE_TAG.match(case.language):
        out.append(FieldViolation(f"{path}.language", "not a BCP 47 language tag such as 'en' or 'pt-BR'"))
    if len(case.case_id) > MAX_ID_CHARS:
        out.append(FieldViolation(f"{path}.case_id", f"longer than {MAX_ID_CHARS} characters"))
    if case.HasField("create_time"):
        out += timestamp_violations(case.create_time, f"{path}.create_time")
    out += _account_violations(case.account, f"{path}.account")
    out += _extra_feature_violations(case.extra_features, f"{path}.extra_features")
    return out


def _account_violations(account: support_case_pb2.AccountContext, path: str) -> list[FieldViolation]:
    out: list[FieldViolation] = []
    for name in _COUNT_FIELDS:
        if getattr(account, name) < 0:
            out.append(FieldViolation(f"{path}.{name}", "must not be negative"))
    volume = account.monthly_volume_usd
    if not math.isfinite(volume) or volume < 0:
        out.append(FieldViolation(f"{path}.monthly_volume_usd", "must be a finite number, not negative"))
    out += _enum_violations(_PLAN, account.support_plan, f"{path}.support_plan")
    out += _enum_violations(_INTEGRATION, account.integration_type, f"{path}.integration_type")
    for name in ("merchant_id", "country_code", "industry"):
        if len(getattr(account, name)) > MAX_ID_CHARS:
            out.append(FieldViolation(f"{path}.{name}", f"longer than {MAX_ID_CHARS} characters"))
    return out


def _enum_violations(rule: tuple[frozenset[int], str], value: int, path: str) -> list[FieldViolation]:
    """None for a value of the enum (unset included: "not known"); else one naming the allowed values."""
    numbers, allowed = rule
    if value in numbers:
        return []
    return [FieldViolation(path, f"unknown value {value}; allowed: {allowed}, or unset when not known")]


def _extra_feature_violations(features: Mapping[str, struct_pb2.Value], path: str) -> list[FieldViolation]:
    out: list[FieldViolation] = []
    if len(features) > MAX_EXTRA_FEATURES:
        out.append(FieldViolation(path, f"more than {MAX_EXTRA_FEATURES} features"))
        return out
    for name, value in features.items():
        where = f'{path}["{name[:MAX_FEATURE_NAME_CHARS]}"]'
        if not name or len(name) > MAX_FEATURE_NAME_CHARS:
            out.append(FieldViolation(where, f"names must have 1 to {MAX_FEATURE_NAME_CHARS} characters"))
        kind = value.WhichOneof("kind")
        if kind == "number_value" and not math.isfinite(value.number_value):
            out.append(FieldViolation(where, "numbers must be finite"))
        elif kind == "string_value" and len(value.string_value) > MAX_FEATURE_STRING_CHARS:
            out.append(FieldViolation(where, f"strings must have at most {MAX_FEATURE_STRING_CHARS} characters"))
        elif kind not in ("number_value", "string_value", "bool_value"):
            out.append(FieldViolation(where, "values must be numbers, strings or booleans"))
    return out


def options_violations(options: prediction_pb2.PredictionOptions) -> list[FieldViolation]:
    out: list[FieldViolation] = []
    for name in ("top_k", "article_count"):
        value = getattr(options, name)
        if not 0 <= value <= MAX_TOP_K:
            out.append(FieldViolation(f"options.{name}", f"must be between 0 and {MAX_TOP_K}"))
    return out


def request_id_violations(request_id: str) -> list[FieldViolation]:
    if len(request_id) > MAX_ID_CHARS:
        return [FieldViolation("request_id", f"longer than {MAX_ID_CHARS} characters")]
    return []


def batch_size_violations(count: int) -> list[FieldViolation]:
    if count == 0:
        return [FieldViolation("support_cases", "at least one case is required")]
    if count > MAX_BATCH_CASES:
        return [FieldViolation("support_cases", f"{count} cases; at most {MAX_BATCH_CASES} per call")]
    return []
