"""`supportability experiments create | list | start | pause | stop | status | report`."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, NamedTuple

import click

from supportability.cli.online import DEFAULT_STORE
from supportability.cli.options import fail, registry_option

if TYPE_CHECKING:
    from supportability.experiments.definition import Experiment
    from supportability.experiments.store import ExperimentStore
    from supportability.online.store import OutcomeFrame, ShadowFrame

DEFAULT_OUT = "var/experiment-report"
store_option = click.option(
    "--store", "store_url", default=DEFAULT_STORE, show_default=True, help="Online store URL (SQLAlchemy)."
)


def _experiments(registry_path: str) -> ExperimentStore:
    from supportability.experiments.store import ExperimentStore
    from supportability.registry import Registry

    return ExperimentStore(Registry(registry_path))


@click.group()
def experiments() -> None:
    """Compare model versions on live traffic: A/B tests, shadows and bandits."""


@experiments.command("create")
@click.argument("name")
@click.option("--arm", "arms", multiple=True, required=True, help="VERSION=WEIGHT; the first arm is the control.")
@click.option("--unit", type=click.Choice(["merchant_id", "case_id"]), required=True, help="What is randomised.")
@click.option("--mode", type=click.Choice(["ab", "shadow", "bandit"]), default="ab", show_default=True)
@click.option(
    "--reward",
    type=click.Choice(["routing_correct", "auto_route_accepted", "csat_good"]),
    default="routing_correct",
    show_default=True,
    help="The metric the verdict reads (and the bandit's reward).",
)
@click.option("--alpha", type=float, default=0.05, show_default=True, help="1 - the readout's confidence.")
@click.option("--salt", default="", help="Hash salt (default: the name). A new salt reshuffles every unit.")
@registry_option
def create_command(
    name: str, arms: tuple[str, ...], unit: str, mode: str, reward: str, alpha: float, salt: str, registry_path: str
) -> None:
    """Create a draft experiment (nothing is served differently until `start`)."""
    from supportability.experiments.definition import ExperimentError, new_experiment, parse_arm

    try:
        experiment = new_experiment(
            name, [parse_arm(a) for a in arms], unit=unit, mode=mode, salt=salt, reward=reward, alpha=alpha
        )
        _experiments(registry_path).create(experiment)
    except ExperimentError as exc:
        fail(str(exc))
    click.echo(f"created {mode} experiment {name} (draft): {_arms(experiment)}; `experiments start {name}` runs it")


def _arms(experiment: Experiment) -> str:
    return ", ".join(f"{a.version}={a.weight:g}" for a in experiment.arms)


@experiments.command("list")
@registry_option
def list_command(registry_path: str) -> None:
    """Every experiment: name, state, mode, unit and arms."""
    for e in _experiments(registry_path).list():
        click.echo(f"{e.name}\t{e.state}\t{e.mode}\t{e.unit}\t{_arms(e)}")


def _move(command: str, name: str, registry_path: str) -> None:
    from supportability.experiments.definition import ExperimentError

    try:
        experiment = _experiments(registry_path).move(name, command)
    except ExperimentError as exc:
        fail(str(exc))
    click.echo(f"experiment {name} is {experiment.state}")


def _lifecycle(command: str, help_text: str) -> click.Command:
    @click.argument("name")
    @registry_option
    def run(name: str, registry_path: str) -> None:
        _move(command, name, registry_path)

    return click.command(command, help=help_text)(run)


for _command, _help in (
    ("start", "Start (or resume) an experiment: servers pick it up at their next registry check."),
    ("pause", "Pause an experiment: the promoted version serves every unit again; the readout keeps its data."),
    ("stop", "Stop an experiment for good; its readout stays readable."),
):
    experiments.add_command(_lifecycle(_command, _help))


class _Logged(NamedTuple):
    experiment: Experiment
    frame: OutcomeFrame  # the logged predictions since the experiment first started
    shadows: ShadowFrame | None  # a shadow experiment's shadow predictions, when asked for
    pre: OutcomeFrame | None  # the pre-period's predictions (CUPED's covariate), when asked for


def _frame(name: str, registry_path: str, store_url: str, *, shadows: bool = False, pre_days: float = 0) -> _Logged:
    """The experiment and its logged predictions; with `shadows`, a shadow experiment's shadow
    predictions; with `pre_days`, a merchant experiment's predictions of the days before it started."""
    from supportability.cli.online import _open
    from supportability.experiments.definition import ExperimentError
    from supportability.online.store import StoreError

    try:
        experiment = _experiments(registry_path).get(name)
    except ExperimentError as exc:
        fail(str(exc))
    start = experiment.start_time
    store = _open(store_url)
    try:
        frame = store.frame(since=start)
        scored = store.shadow_frame(name, since=start) if shadows and experiment.shadows else None
        # A case is new by definition: only a merchant has a past to adjust by.
        with_pre = pre_days > 0 and start is not None and experiment.unit == "merchant_id"
        pre = store.frame(since=start - timedelta(days=pre_days), until=start) if with_pre and start else None
        return _Logged(experiment, frame, scored, pre)
    except StoreError as exc:
        fail(str(exc))
    finally:
        store.close()


pre_days_option = click.option(
    "--pre-days",
    type=click.FloatRange(min=0),
    default=14,
    show_default=True,
    help="Days before the start whose predictions give each merchant its CUPED covariate; 0 = no CUPED.",
)


@experiments.command("status")
@click.argument("name")
@registry_option
@store_option
@pre_days_option
def status_command(name: str, registry_path: str, store_url: str, pre_days: float) -> None:
    """The experiment's state, its arms' counts and primary metric, the SRM check, and the verdict."""
    from supportability.experiments import shadow_readout
    from supportability.experiments.readout import read

    experiment, frame, scored, pre = _frame(name, registry_path, store_url, shadows=True, pre_days=pre_days)
    r = read(experiment, frame, pre)
    e = r.experiment
    click.echo(f"{e.name}: {e.state} {e.mode} experiment on {e.unit}, control {e.control}")
    for arm, weight in e.weights.items():
        m = r.metrics[r.primary].get(arm)
        value = "-" if m is None or m.value is None else f"{m.value:.4f}"
        click.echo(
            f"  {arm}  weight {weight:g}  units {r.units.get(arm, 0):,}  predictions {r.predictions.get(arm, 0):,}"
            f"  {r.primary} {value}"
        )
    s = r.sample_ratio
    click.echo(
        f"  sample ratio: {'MISMATCH' if s.flagged else 'ok'}" + (f" (p = {s.p_value:.3g})" if s.p_value else "")
    )
    if r.bypassed:
        click.echo(f"  {r.bypassed:,} predictions named their version and bypassed the experiment")
    for adjusted in (a for a in r.adjusted if a.metric == r.primary):
        d = adjusted.difference
        shown = f"{d.estimate:+.4f} [{d.low:+.4f}, {d.high:+.4f}]" if d else adjusted.note
        click.echo(f"  CUPED ({pre_days:g} days before the start): {adjusted.arm} - control {shown}")
    if scored is None:
        click.echo(f"verdict: {r.verdict}")
        return
    shadows = shadow_readout.compare(e, frame, scored)
    for c in shadows:
        agreement = "-" if c.top_queue_agreement is None else f"{c.top_queue_agreement:.1%}"
        click.echo(f"  shadow {c.version}: scored {c.cases:,} served cases, top queue agreement {agreement}")
        for p in c.metrics.values():
            values = " vs ".join("-" if m.value is None else f"{m.value:.4f}" for m in (p.served, p.shadow))
            d = p.difference
            shown = f"{d.estimate:+.4f} [{d.low:+.4f}, {d.high:+.4f}]" if d else p.note
            click.echo(f"    {p.metric} served vs shadow {values}: {shown}")
    click.echo(f"verdict: {shadow_readout.verdict(e, shadows)}")


@experiments.command("report")
@click.argument("name")
@registry_option
@store_option
@click.option("--out", default=DEFAULT_OUT, show_default=True, type=click.Path(file_okay=False))
@pre_days_option
def report_command(name: str, registry_path: str, store_url: str, out: str, pre_days: float) -> None:
    """Write the experiment's report (HTML with plots, and readout.json): per arm, the differences, daily looks;
    for a shadow experiment, each shadow against the served version on the same cases."""
    from supportability.experiments.report import write_experiment_report

    experiment, frame, scored, pre = _frame(name, registry_path, store_url, shadows=True, pre_days=pre_days)
    click.echo(str(write_experiment_report(experiment, frame, out, scored, pre)))


@experiments.command("update")
@click.argument("name")
@registry_option
@store_option
def update_command(name: str, registry_path: str, store_url: str) -> None:
    """One bandit batch: new weights from every stored outcome (run it from cron; servers reload them)."""
    from supportability.experiments import bandit
    from supportability.experiments.definition import ExperimentError

    experiment, frame, _, _ = _frame(name, registry_path, store_url)
    try:
        updated = bandit.update(experiment, frame)
        _experiments(registry_path).save(updated)
    except ExperimentError as exc:
        fail(str(exc))
    click.echo(f"experiment {name}: {_arms(updated)}")


@experiments.command("ope")
@click.argument("name")
@click.option("--candidate", required=True, help="The arm (model version) to evaluate as if it served everyone.")
@click.option("--bootstrap", type=int, default=500, show_default=True, help="Bootstrap replicates of the intervals.")
@registry_option
@store_option
def ope_command(name: str, candidate: str, bootstrap: int, registry_path: str, store_url: str) -> None:
    """Off-policy estimates (IPS, SNIPS, doubly robust) of serving CANDIDATE to every unit, from logged traffic."""
    from supportability.experiments import ope

    experiment, frame, _, _ = _frame(name, registry_path, store_url)
    if candidate not in experiment.weights:
        raise click.BadParameter(
            f"{candidate!r} is not an arm of {name}: {_arms(experiment)}", param_hint="--candidate"
        )
    data = ope.feedback(frame, experiment.name, experiment.reward)
    click.echo(f"{name}: value of always serving {candidate} ({experiment.reward}), {len(data):,} logged predictions")
    for r in ope.evaluate(data, candidate, bootstrap=bootstrap):
        shown = r.note or f"{r.value:.4f}  95% bootstrap interval [{r.low:.4f}, {r.high:.4f}]"
        click.echo(f"  {r.estimator:6s} {shown}")
