"""The bandits' batches, run by the serving process off the request path (`experiments update`
runs one by hand).

`update_bandits` gives each running bandit whose weights are older than the interval new ones,
from every stored outcome of its served predictions (bandit.py: recomputed from the stored rows,
never accumulated, so an outcome that arrives late joins the next batch and one sent twice is
one row). The check and the write happen under the experiment store's lock, so server processes
sharing a registry make one update per interval between them, not one each; the servers then
assign with the new weights at their next registry check.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from supportability.experiments import bandit
from supportability.experiments.definition import Experiment
from supportability.experiments.store import ExperimentStore
from supportability.online.store import OnlineStore

log = logging.getLogger(__name__)


def update_bandits(
    experiments: ExperimentStore, store: OnlineStore, interval_seconds: float, now: datetime | None = None
) -> list[Experiment]:
    """Update every running bandit that is due; returns the ones updated."""
    now = now or datetime.now(UTC)

    def change(current: Experiment) -> Experiment | None:
        if not bandit.due(current, now, interval_seconds):  # another process updated it meanwhile
            return None
        return bandit.update(current, store.frame(since=current.start_time), now=now)

    updated = []
    for experiment in experiments.running():
        if bandit.due(experiment, now, interval_seconds):
            result = experiments.update(experiment.name, change)
            if result is not None:
                log.info("bandit weights updated", extra={"experiment": result.name, "weights": result.weights})
                updated.append(result)
    return updated
