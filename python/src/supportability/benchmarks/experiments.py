"""The experiments' simulation benchmark (issue 13's targets), and what assignment costs a prediction.

    python -m supportability.benchmarks.experiments [--runs 1000] [--out .cache/bench/experiments]

Prints JSON and writes the figures (PNG) into --out:
- A/A tests looked at daily for 30 days, with outcomes arriving after 30 h on average: the share
  that ever declared a difference, by the confidence sequence and by a naive fixed-n interval
  (`aa_peeking.png`: the cumulative false-positive rate by day);
- A/B tests between arms whose routing accuracy differs by 3 points (0.60 against 0.63): the day
  the confidence sequence decided, and the share decided within 30 days;
- the sample-ratio check on an exact 52/48 split of 20,000 units, on 52/48 assignment draws and
  on balanced ones;
- the bandit's cumulative regret against always serving the best of three arms, beside a fixed
  uniform split (`bandit_regret.png`), and the lowest weight it ever served with;
- off-policy estimates of a candidate served to 5% of the traffic, against its true value: each
  estimator's mean error and its 95% interval's coverage over seeded runs.

What assignment and shadows cost a prediction is measured with the server's code, above this
floor: `bench/experiments.py`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from supportability.experiments import ope, peeking, srm
from supportability.experiments.simulation import simulate_bandit
from supportability.online.plots import pyplot

ARM_RATES = [0.60, 0.57, 0.54]


def aa_and_ab(runs: int, out: Path) -> dict[str, Any]:
    aa = peeking.simulate_peeking(runs, days=30, per_day=200, rate_a=0.60, rate_b=0.60, seed=1)
    ab = peeking.simulate_peeking(max(runs // 2, 100), days=30, per_day=200, rate_a=0.60, rate_b=0.63, seed=2)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.2))
    days = np.arange(1, aa.days + 1)
    ax.plot(days, [aa.rate("naive", int(d)) for d in days], label="naive 95% interval, peeked daily", color="#c0392b")
    ax.plot(days, [aa.rate("sequential", int(d)) for d in days], label="confidence sequence", color="#4a7ab5")
    ax.axhline(0.05, color="#777", linewidth=0.8, linestyle="--")
    ax.set_xlabel("day")
    ax.set_ylabel("A/A runs ever 'significant'")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "aa_peeking.png", dpi=90)
    plt.close(fig)
    decided = ab.sequential_day[ab.sequential_day > 0]
    return {
        "aa_runs": runs,
        "aa_false_positive_rate_sequential": aa.rate("sequential"),
        "aa_false_positive_rate_naive_peeking": aa.rate("naive"),
        "ab_runs": len(ab.sequential_day),
        "ab_true_difference": 0.03,
        "ab_decided_within_30_days": ab.rate("sequential"),
        "ab_days_to_decision_median": float(np.median(decided)) if len(decided) else None,
        "ab_days_to_decision_p90": float(np.quantile(decided, 0.9)) if len(decided) else None,
    }


def sample_ratio(runs: int) -> dict[str, Any]:
    rng = np.random.default_rng(3)
    weights = {"a": 0.5, "b": 0.5}
    exact = srm.sample_ratio({"a": 10_400, "b": 9_600}, weights)
    skewed = rng.binomial(20_000, 0.52, size=runs)
    balanced = rng.binomial(20_000, 0.5, size=runs * 20)
    return {
        "srm_exact_52_48_at_20000_p_value": exact.p_value,
        "srm_exact_52_48_at_20000_flagged": exact.flagged,
        "srm_flag_rate_52_48_draws": float(
            np.mean([srm.sample_ratio({"a": int(c), "b": 20_000 - int(c)}, weights).flagged for c in skewed])
        ),
        "srm_flag_rate_balanced": float(
            np.mean([srm.sample_ratio({"a": int(c), "b": 20_000 - int(c)}, weights).flagged for c in balanced])
        ),
        "srm_balanced_runs": len(balanced),
    }


def regret(out: Path) -> dict[str, Any]:
    batches, per_batch = 100, 200
    runs = [simulate_bandit(ARM_RATES, batches=batches, per_batch=per_batch, seed=s) for s in range(20)]
    cumulative = np.mean([np.cumsum(r.regret) for r in runs], axis=0)
    uniform = np.cumsum(np.full(batches, (max(ARM_RATES) - np.mean(ARM_RATES)) * per_batch))
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.2))
    served = np.arange(1, batches + 1) * per_batch
    ax.plot(served, uniform, label="fixed uniform split", color="#c0392b")
    ax.plot(served, cumulative, label="Thompson sampling (mean of 20 runs)", color="#4a7ab5")
    ax.set_xlabel("cases served")
    ax.set_ylabel("cumulative regret (rewards lost)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "bandit_regret.png", dpi=90)
    plt.close(fig)
    return {
        "bandit_arm_rates": ARM_RATES,
        "bandit_cases": batches * per_batch,
        "bandit_regret_total": float(cumulative[-1]),
        "bandit_regret_first_half": float(cumulative[batches // 2 - 1]),
        "bandit_regret_uniform_split": float(uniform[-1]),
        "bandit_lowest_weight": float(min(r.lowest_weight.min() for r in runs)),
    }


def off_policy(runs: int) -> dict[str, Any]:
    arms = np.array(["a", "b", "c"], dtype=object)
    logging = np.array([0.80, 0.15, 0.05])
    share = np.array([0.4, 0.3, 0.2, 0.1])
    rates = np.array([[0.60, 0.55, 0.50, 0.45], [0.50, 0.60, 0.55, 0.40], [0.70, 0.40, 0.65, 0.30]])
    truth = float(rates[2] @ share)
    covered: dict[str, int] = {}
    errors: dict[str, list[float]] = {}
    for seed in range(runs):
        rng = np.random.default_rng(seed)
        contexts, actions = rng.choice(4, 5_000, p=share), rng.choice(3, 5_000, p=logging)
        rewards = (rng.uniform(size=5_000) < rates[actions, contexts]).astype(float)
        data = ope.Feedback(arms[actions], logging[actions], rewards, contexts)
        for r in ope.evaluate(data, "c", bootstrap=200, seed=10_000 + seed):
            assert r.value is not None and r.low is not None and r.high is not None
            covered[r.estimator] = covered.get(r.estimator, 0) + (r.low <= truth <= r.high)
            errors.setdefault(r.estimator, []).append(r.value - truth)
    return {
        "ope_runs": runs,
        "ope_candidate_share": 0.05,
        "ope_true_value": truth,
        "ope_coverage": {k: v / runs for k, v in covered.items()},
        "ope_mean_error": {k: float(np.mean(v)) for k, v in errors.items()},
        "ope_error_sd": {k: float(np.std(v)) for k, v in errors.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1_000, help="A/A runs (A/B, SRM and OPE runs scale from it)")
    parser.add_argument("--out", type=Path, default=Path(".cache/bench/experiments"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    results |= aa_and_ab(args.runs, args.out)
    results |= sample_ratio(args.runs * 10)
    results |= regret(args.out)
    results |= off_policy(max(args.runs // 5, 50))
    (args.out / "results.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
