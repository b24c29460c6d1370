"""`supportability mcp` through the MCP SDK's own client, over stdio and streamable HTTP, in front
of a real gRPC server (and, once, a local Predictor)."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import anyio
import pytest
from google.protobuf import json_format
from mcp import Client, StdioServerParameters

from supportability.client import Client as GrpcClient
from supportability.testing import McpHttpProcess, ServerProcess, free_port
from supportability.v1 import prediction_pb2, support_case_pb2

CASE = {
    "subject": "Payout missing",
    "body": "Our payout from Monday did not arrive in our bank account.",
    "channel": "CHANNEL_EMAIL",
    "account": {"country_code": "DE", "support_plan": "SUPPORT_PLAN_PREMIUM", "failed_payouts_30d": 2},
}
Scenario = Callable[[Client], Awaitable[None]]


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "supportability", "mcp", *args]


@pytest.fixture(scope="module")
def http_mcp(server) -> Iterator[McpHttpProcess]:
    with McpHttpProcess("--target", server.target) as running:
        yield running


@pytest.fixture(params=["stdio", "http"])
def connect(request, server) -> Callable[[Scenario], None]:
    """Run a scenario against `supportability mcp` on the module's gRPC server, over one transport."""

    def run(scenario: Scenario) -> None:
        if request.param == "stdio":
            target: Any = StdioServerParameters(command=sys.executable, args=_command("--target", server.target)[1:])
        else:
            target = request.getfixturevalue("http_mcp").url

        async def main() -> None:
            async with Client(target) as client:
                await scenario(client)

        anyio.run(main)

    return run


def test_lists_the_four_tools_with_schemas_from_the_contract(connect):
    async def scenario(client: Client) -> None:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(tools) == {"triage_case", "suggest_articles", "record_outcome", "get_model"}
        case_fields = tools["triage_case"].input_schema["properties"]["support_case"]["properties"]
        assert list(case_fields) == [f.name for f in support_case_pb2.SupportCase.DESCRIPTOR.fields]
        outcome = tools["record_outcome"].input_schema["properties"]["outcome"]["properties"]
        assert "prediction_id" in outcome and "correction" in outcome
        assert "HUMAN_TRIAGE" in tools["triage_case"].description
        assert "calibrated" in tools["get_model"].description.lower()
        assert tools["record_outcome"].annotations.read_only_hint is False

    connect(scenario)


def test_each_tool_answers_as_the_service_does(connect, server, error_of):
    async def scenario(client: Client) -> None:
        triage = await client.call_tool("triage_case", {"support_case": CASE})
        assert not triage.is_error, triage.content
        prediction = triage.structured_content
        assert prediction["routing"]["top_queues"] and prediction["explanations"]
        # Every field of the contract's Decision is rendered, whatever fields it has.
        assert set(prediction["decision"]) == {f.name for f in prediction_pb2.Decision.DESCRIPTOR.fields}
        action = prediction["decision"]["action"].removeprefix("DECISION_ACTION_")
        assert triage.content[0].text.startswith(f"Decision: {action}")

        direct = GrpcClient(server.target).predict_case(json_format.ParseDict(CASE, support_case_pb2.SupportCase()))
        assert [q["queue"] for q in prediction["routing"]["top_queues"]] == [
            q.queue for q in direct.prediction.routing.top_queues
        ]
        assert prediction["routing"]["top_queues"][0]["probability"] == pytest.approx(
            direct.prediction.routing.top_queues[0].probability
        )

        articles = await client.call_tool("suggest_articles", {"support_case": CASE, "options": {"article_count": 2}})
        assert not articles.is_error, articles.content
        suggested = articles.structured_content["articles"]
        assert len(suggested) == 2
        text = (await client.read_resource(suggested[0]["uri"])).contents[0].text
        assert suggested[0]["title"] in text

        outcome = {"prediction_id": prediction["prediction_id"], "resolved_queue": "payouts", "csat_score": 5}
        recorded = await client.call_tool("record_outcome", {"outcome": outcome})
        assert not recorded.is_error, recorded.content
        assert recorded.structured_content["recorded_outcome"]["prediction_id"] == prediction["prediction_id"]
        again = await client.call_tool("record_outcome", {"outcome": outcome})
        assert not again.is_error  # a retry changes nothing
        conflict = await client.call_tool("record_outcome", {"outcome": {**outcome, "csat_score": 1}})
        assert conflict.is_error and error_of(conflict)["reason"] == "OUTCOME_CONFLICT"

        model = await client.call_tool("get_model", {})
        assert not model.is_error, model.content
        assert model.structured_content["model"]["version"] == prediction["model_version"]
        assert model.structured_content["model"]["offline_metrics"]
        assert model.structured_content["online_metrics"] is None  # no --store given

    connect(scenario)


def test_bad_arguments_are_tool_errors_with_field_violations_and_the_server_stays_up(connect, error_of):
    async def scenario(client: Client) -> None:
        def violations(result: Any) -> dict[str, str]:
            assert result.is_error
            return {v["field"]: v["description"] for v in error_of(result)["field_violations"]}

        shape = await client.call_tool(
            "triage_case",
            {"support_case": {**CASE, "channel": "CHANNEL_FAX", "colour": "red", "account": {"disputes_30d": "x"}}},
        )
        assert set(violations(shape)) == {
            "support_case.channel",
            "support_case.colour",
            "support_case.account.disputes_30d",
        }
        empty = await client.call_tool("triage_case", {"support_case": {"channel": "CHANNEL_EMAIL"}})
        assert "support_case.subject" in violations(empty)  # the service's own rule: a subject or a body
        assert error_of(empty)["reason"] == "INVALID_CASE"
        assert error_of(empty)["caller_fault"] is True
        assert "support_case" in violations(await client.call_tool("triage_case", {}))
        outcome = await client.call_tool(
            "record_outcome", {"outcome": {"prediction_id": "not-a-uuid", "csat_score": 9}}
        )
        assert set(violations(outcome)) == {"outcome.prediction_id", "outcome.csat_score"}
        stamp = await client.call_tool("triage_case", {"support_case": {**CASE, "create_time": "yesterday"}})
        assert "support_case.create_time" in violations(stamp)
        assert (await client.call_tool("no_such_tool", {})).is_error
        assert not (await client.call_tool("triage_case", {"support_case": CASE})).is_error  # still serving

    connect(scenario)


def test_concurrent_calls_each_get_their_own_answer(connect):
    subjects = [f"Payout {i} missing" if i % 2 else f"Refund {i} for a disputed charge" for i in range(12)]

    async def scenario(client: Client) -> None:
        results: dict[int, Any] = {}

        async def triage(i: int) -> None:
            case = {**CASE, "subject": subjects[i], "case_id": f"case-{i}"}
            results[i] = await client.call_tool("triage_case", {"support_case": case})

        async with anyio.create_task_group() as group:
            for i in range(len(subjects)):
                group.start_soon(triage, i)
        assert all(not r.is_error for r in results.values())
        assert [results[i].structured_content["case_id"] for i in range(len(subjects))] == [
            f"case-{i}" for i in range(len(subjects))
        ]
        assert len({r.structured_content["prediction_id"] for r in results.values()}) == len(subjects)

    connect(scenario)


def test_http_server_survives_bad_calls(http_mcp):
    async def main() -> None:
        async with Client(http_mcp.url) as client:
            assert (await client.call_tool("triage_case", {"support_case": "not an object"})).is_error

    anyio.run(main)
    assert http_mcp.alive()


def test_with_the_grpc_service_down_a_clear_tool_error(error_of):
    params = StdioServerParameters(
        command=sys.executable, args=_command("--target", f"127.0.0.1:{free_port()}", "--timeout", "1")[1:]
    )

    async def main() -> None:
        async with Client(params) as client:
            result = await client.call_tool("triage_case", {"support_case": CASE})
            assert result.is_error
            error = error_of(result)
            assert error["code"] == "UNAVAILABLE" and error["retryable"] is True
            assert "hand the case to a human" in error["next_step"]
            # The arguments are still checked first: a bad case is the caller's fault, service or not.
            bad = await client.call_tool("triage_case", {"support_case": {"channel": "CHANNEL_EMAIL"}})
            assert error_of(bad)["code"] == "INVALID_ARGUMENT"

    anyio.run(main)


@pytest.mark.parametrize("mode", ["local", "grpc"])
def test_outcomes_are_recorded_and_online_metrics_reported(mode, registry_path, tmp_path, error_of):
    """A local Predictor logging to the store, or the gRPC service doing so while the MCP process
    only reads the store for get_model's online metrics."""
    store = f"sqlite:///{tmp_path}/online.db"
    with contextlib.ExitStack() as stack:
        if mode == "local":
            args = _command("--registry", str(registry_path), "--store", store)[1:]
        else:
            served = stack.enter_context(ServerProcess(registry_path, "--store", store))
            args = _command("--target", served.target, "--store", store)[1:]

        async def main() -> None:
            async with Client(StdioServerParameters(command=sys.executable, args=args)) as client:
                triage = await client.call_tool("triage_case", {"support_case": CASE})
                assert not triage.is_error, triage.content
                prediction_id = triage.structured_content["prediction_id"]
                outcome = {"prediction_id": prediction_id, "resolved_queue": "payouts", "escalated": False}
                deadline = time.monotonic() + 10
                while (recorded := await client.call_tool("record_outcome", {"outcome": outcome})).is_error:
                    # The prediction log is written off the request path: its row may lag the answer.
                    assert error_of(recorded)["reason"] == "PREDICTION_NOT_FOUND", recorded.content
                    assert time.monotonic() < deadline
                    await anyio.sleep(0.1)
                model = await client.call_tool("get_model", {})
                online = model.structured_content["online_metrics"]
                assert online["available"] is True and online["predictions"] >= 1 and online["outcomes"] == 1
                assert online["routing"]["top1"]["value"] is None  # one outcome: too thin, and it says so
                assert "not enough data" in online["routing"]["top1"]["note"]

        anyio.run(main)


def test_the_token_reaches_the_service_and_a_wrong_one_is_a_tool_error(registry_path, error_of):
    with ServerProcess(registry_path, "--tokens", "s3cret-token") as secured:

        async def main() -> None:
            for token, refused in (("s3cret-token", False), ("wrong", True)):
                args = _command("--target", secured.target, "--token", token)[1:]
                async with Client(StdioServerParameters(command=sys.executable, args=args)) as client:
                    result = await client.call_tool("triage_case", {"support_case": CASE})
                    if refused:
                        assert error_of(result)["code"] == "UNAUTHENTICATED"
                        assert "credentials" in error_of(result)["next_step"]
                    else:
                        assert not result.is_error, result.content

        anyio.run(main)
