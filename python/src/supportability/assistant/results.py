"""Tool results as the model reads them: the answer as structured JSON with a one-line summary,
and every failure as a tool error (`is_error`) that says whose fault it was and what to do next.

`tool_error` is a pure function of the service's error, so each case is tested on its own.
"""

from __future__ import annotations

import json
from typing import Any

import grpc
import mcp_types as types

from supportability.errors import SupportabilityError

# The caller's fault: the same arguments will fail again, so the model must change them.
CALLER_FAULT = frozenset(
    {
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.ALREADY_EXISTS,
        grpc.StatusCode.OUT_OF_RANGE,
    }
)
# The service's passing trouble: the same call may succeed later (the contract retries UNAVAILABLE).
RETRYABLE = frozenset(
    {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.DEADLINE_EXCEEDED}
)


def next_step(error: SupportabilityError) -> str:
    """What a model should do after this error, in one sentence."""
    if error.code in CALLER_FAULT and error.violations:
        return "Fix the fields listed in field_violations and call the tool again; do not guess a prediction."
    if error.code == grpc.StatusCode.FAILED_PRECONDITION:
        return (
            "The outcome conflicts with one already recorded; send correction=true only if the earlier one was wrong."
        )
    if error.code in CALLER_FAULT:
        return "Check the identifiers you sent; the same call will fail again unchanged."
    if error.code in RETRYABLE:
        wait = f" after {error.retry_delay_seconds:g} s" if error.retry_delay_seconds else " later"
        return (
            f"The prediction service is unavailable right now; you may retry{wait}. Until it answers, hand the case "
            "to a human agent and do not answer it as if it had been triaged."
        )
    if error.code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
        return "This assistant's credentials for the prediction service are not accepted; tell the operator."
    return "The prediction service failed; hand the case to a human agent and tell the operator."


def error_document(error: SupportabilityError) -> dict[str, Any]:
    """The error as the contract's error model carries it: code, reason, message, field violations."""
    return {
        "error": {
            "code": error.code.name,
            "reason": error.reason,
            "message": error.message,
            "field_violations": [{"field": v.field, "description": v.description} for v in error.violations],
            "caller_fault": error.code in CALLER_FAULT,
            "retryable": error.code in RETRYABLE,
            "retry_delay_seconds": error.retry_delay_seconds,
            "request_id": error.request_id,
            "next_step": next_step(error),
        }
    }


def tool_error(error: SupportabilityError) -> types.CallToolResult:
    """A failed call as an MCP tool error: the model sees it and can correct itself (never a crash).

    The error document is the second text block, as JSON, and not structured content: clients such
    as the TypeScript SDK's check structured content against the tool's output schema even in an
    error, and the error is not the tool's output."""
    document = error_document(error)
    return types.CallToolResult(
        content=[
            types.TextContent(text=f"{error}. {document['error']['next_step']}"),
            types.TextContent(text=json.dumps(document)),
        ],
        is_error=True,
    )


def tool_result(
    summary: str, document: dict[str, Any], links: list[types.ResourceLink] | None = None
) -> types.CallToolResult:
    """A successful call: the summary line, the JSON the output schema describes, and resource links."""
    text = types.TextContent(text=f"{summary}\n{json.dumps(document)}")
    return types.CallToolResult(content=[text, *(links or [])], structured_content=document)
