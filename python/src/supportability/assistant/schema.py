"""JSON Schema from the contract's message descriptors, and tool arguments parsed into messages.

The MCP tools take and return the contract's own messages in their proto3 JSON form, so their
schemas are derived here from the generated descriptors: a field added to `SupportCase` or
`Outcome` appears in the tools' schemas with no edit. Arguments are checked against the same
schema (shape: types, enum names, unknown fields), then parsed; what a field's value means is
left to the service's own validators.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar, cast

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message

from supportability.errors import FieldViolation

JsonSchema = dict[str, Any]
M = TypeVar("M", bound=Message)

_SCALARS: dict[int, JsonSchema] = {
    FieldDescriptor.CPPTYPE_STRING: {"type": "string"},
    FieldDescriptor.CPPTYPE_BOOL: {"type": "boolean"},
    FieldDescriptor.CPPTYPE_DOUBLE: {"type": "number"},
    FieldDescriptor.CPPTYPE_FLOAT: {"type": "number"},
    FieldDescriptor.CPPTYPE_INT32: {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1},
    FieldDescriptor.CPPTYPE_UINT32: {"type": "integer", "minimum": 0, "maximum": 2**32 - 1},
    # proto3 JSON writes 64-bit integers as strings and reads either form.
    FieldDescriptor.CPPTYPE_INT64: {"type": ["integer", "string"], "pattern": "^-?[0-9]+$"},
    FieldDescriptor.CPPTYPE_UINT64: {"type": ["integer", "string"], "pattern": "^[0-9]+$"},
}
# Well-known types have a JSON form of their own (https://protobuf.dev/programming-guides/json/).
_WELL_KNOWN: dict[str, JsonSchema] = {
    "google.protobuf.Timestamp": {
        "type": "string",
        "format": "date-time",
        "description": "RFC 3339 in UTC, e.g. 2026-03-01T09:30:00Z",
    },
    "google.protobuf.Duration": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?s$"},
    # Any JSON value in general; the service accepts numbers, strings and booleans (validation.py).
    "google.protobuf.Value": {"type": ["number", "string", "boolean"]},
}


def _enum_schema(enum: EnumDescriptor, output: bool) -> JsonSchema:
    # The zero value means "not given" in proto3: a caller leaves the field out instead of sending
    # it, but an output with every field shown has it.
    names = [v.name for v in enum.values if output or v.number != 0]
    return {"type": "string", "enum": names}


def _field_schema(field: FieldDescriptor, output: bool) -> JsonSchema:
    message = field.message_type
    if message is not None and message.GetOptions().map_entry:
        return {"type": "object", "additionalProperties": _value_schema(message.fields_by_name["value"], output)}
    item = _value_schema(field, output)
    schema = {"type": "array", "items": item} if field.is_repeated else item
    if field.containing_oneof is not None and not field.containing_oneof.name.startswith("_"):
        others = [f.name for f in field.containing_oneof.fields if f is not field]
        schema = {**schema, "description": f"one of '{field.containing_oneof.name}': set it or {' or '.join(others)}"}
    return schema


def _value_schema(field: FieldDescriptor, output: bool) -> JsonSchema:
    if field.enum_type is not None:
        return _enum_schema(field.enum_type, output)
    if field.message_type is not None:
        return _descriptor_schema(field.message_type, None, output)
    return dict(_SCALARS[field.cpp_type])


def message_schema(message: type[Message], only: Iterable[str] | None = None, *, output: bool = False) -> JsonSchema:
    """The JSON Schema of a message's proto3 JSON form (field names as in the .proto); `only`
    keeps the named fields, in the contract's order. `output` describes what `to_json` writes
    (every enum value, the zero one too) rather than what a caller should send."""
    return _descriptor_schema(cast(Descriptor, message.DESCRIPTOR), only, output)


def _descriptor_schema(descriptor: Descriptor, only: Iterable[str] | None, output: bool) -> JsonSchema:
    if descriptor.full_name in _WELL_KNOWN:
        return dict(_WELL_KNOWN[descriptor.full_name])
    keep = None if only is None else set(only)
    fields = [f for f in descriptor.fields if keep is None or f.name in keep]
    missing = (keep or set()) - {f.name for f in fields}
    if missing:
        raise ValueError(f"{descriptor.full_name} has no fields {sorted(missing)}")
    return {
        "type": "object",
        "properties": {f.name: _field_schema(f, output) for f in fields},
        "additionalProperties": False,
    }


class Arguments:
    """Tool arguments of one schema: their shape checked, then parsed into the request message."""

    def __init__(self, schema: JsonSchema) -> None:
        from jsonschema import Draft202012Validator

        self.schema = schema
        self._validator = Draft202012Validator(schema)

    def violations(self, arguments: Mapping[str, Any]) -> list[FieldViolation]:
        """Where the arguments do not have the schema's shape, as field violations named like the
        service's (`support_case.account.disputes_30d`)."""
        out = []
        for error in sorted(self._validator.iter_errors(arguments), key=lambda e: [str(p) for p in e.absolute_path]):
            path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
            if error.validator == "additionalProperties":
                unknown = sorted(set(error.instance) - set(error.schema.get("properties", {})))
                out += [FieldViolation(f"{path}.{name}".lstrip("."), "no such field") for name in unknown]
            elif error.validator == "required":
                missing = [name for name in error.validator_value if name not in error.instance]
                out += [FieldViolation(f"{path}.{name}".lstrip("."), "required") for name in missing]
            elif error.validator == "enum":
                out.append(FieldViolation(path, f"must be one of {', '.join(error.validator_value)}"))
            else:
                out.append(FieldViolation(path, error.message))
        return out

    def parse(self, arguments: Mapping[str, Any], message: M) -> tuple[M, list[FieldViolation]]:
        """The arguments as `message` (filled in place), or the violations that stop it."""
        violations = self.violations(arguments)
        if not violations:
            try:
                json_format.ParseDict(dict(arguments), message)
            except json_format.ParseError as exc:  # what a schema cannot say, e.g. a malformed timestamp
                violations = [_parse_error(exc)]
        return message, violations


def _parse_error(exc: json_format.ParseError) -> FieldViolation:
    """A parse error as a violation of the field it names ("... at PredictCaseRequest.support_case.create_time.")."""
    text = str(exc)
    where = re.search(r" at [A-Za-z0-9_]+\.([A-Za-z0-9_.\[\]]+?)\.*$", text)
    reason = text.rsplit(": ", maxsplit=1)[-1].split(" at ", maxsplit=1)[0].rstrip(".")
    return FieldViolation(where[1] if where else "", reason)


def to_json(message: Message) -> dict[str, Any]:
    """A message as proto3 JSON with the .proto's field names and every field shown, so a field
    the contract adds (such as a decision's reason) reaches the model with no edit here."""
    return json_format.MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
