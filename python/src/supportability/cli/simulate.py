"""`supportability simulate`: drive a running server with synthetic cases, then send their true outcomes."""

from __future__ import annotations

import click

# The defaults are SimulationPlan's (tests/online/test_simulate.py checks that they agree); the
# module itself is imported inside the command, so that `supportability --help` stays fast.


@click.command()
@click.option("--target", default="127.0.0.1:50051", show_default=True, help="The server's host:port.")
@click.option("--rate", default=50.0, show_default=True, type=click.FloatRange(min=0.01), help="Cases per second.")
@click.option("--cases", "n_cases", default=1_000, show_default=True, type=click.IntRange(min=1), help="Cases to send.")
@click.option("--seed", default=101, show_default=True, type=int, help="The generator's seed.")
@click.option(
    "--drift",
    default=1.0,
    show_default=True,
    type=float,
    help="The generator's drift knob: how fast the topic mix changes over the cases' two years "
    "(1.0 is the default model's training data; 0 none).",
)
@click.option(
    "--days-after-window",
    type=click.FloatRange(min=0.0),
    default=None,
    help="Date the cases over two years from this many days after the end of the training window "
    "(2024-01-01 + 730 days) instead of inside it: the routing policy has changed since (by --drift), so "
    "a model trained on the window grows wrong, more so the later the cases [default: inside the window].",
)
@click.option(
    "--outcome-delay-seconds",
    default=2.0,
    show_default=True,
    type=click.FloatRange(min=0.0),
    help="Mean delay from a prediction's answer to its outcome (exponential, cut at 5x the mean).",
)
@click.option(
    "--outcome-share",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0.0, 1.0),
    help="Share of answered cases whose outcome is sent.",
)
@click.option(
    "--workers",
    default=4,
    show_default=True,
    type=click.IntRange(min=1),
    help="Threads making the calls (with at most twice as many calls in flight).",
)
@click.option("--timeout", default=5.0, show_default=True, type=click.FloatRange(min=0.1), help="Per-call deadline, s.")
@click.option("--token", envvar="SUPPORTABILITY_TOKEN", default=None, help="Bearer token [env SUPPORTABILITY_TOKEN].")
@click.option(
    "--max-seconds",
    type=click.FloatRange(min=0.1),
    default=None,
    help="Stop after this long whatever is left (default: twice the planned duration, plus 10 s).",
)
@click.option(
    "--cases-out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write the generated cases with their true labels (.csv/.jsonl/.parquet), e.g. for "
    "`train --from-outcomes --cases-file` when the server keeps no case text.",
)
def simulate(
    target: str,
    rate: float,
    n_cases: int,
    seed: int,
    drift: float,
    days_after_window: float | None,
    outcome_delay_seconds: float,
    outcome_share: float,
    workers: int,
    timeout: float,
    token: str | None,
    max_seconds: float | None,
    cases_out: str | None,
) -> None:
    """Send synthetic cases to a running server at --rate cases/s (PredictCase), and each case's true
    outcome (queue, escalation, urgency, CSAT, resolution hours, helpful articles) after a random delay
    (RecordOutcome, by prediction_id). Stops by itself and prints what was sent and acknowledged."""
    from supportability.client import Client
    from supportability.errors import SupportabilityError
    from supportability.online.simulate import SimulationPlan, run, traffic

    plan = SimulationPlan(
        cases=n_cases,
        rate=rate,
        seed=seed,
        drift=drift,
        days_after_window=days_after_window,
        outcome_delay_seconds=outcome_delay_seconds,
        outcome_share=outcome_share,
        workers=workers,
        max_seconds=max_seconds,
    )
    data = traffic(plan)
    if cases_out:
        from supportability.data.io import write_cases

        click.echo(f"cases: {write_cases(data, cases_out)}", err=True)
    with Client(target, token=token, timeout=timeout) as client:
        try:
            served = client.get_model().model.version
        except SupportabilityError as exc:
            raise click.ClickException(f"{target}: cannot reach the service: {exc}") from exc
        click.echo(f"sending {n_cases} cases to {target} (serving {served})", err=True)
        result = run(client, plan, data)
    click.echo(result.summary())
    if not result.figures()["predictions_acknowledged"]:
        raise click.ClickException("no prediction was acknowledged")
