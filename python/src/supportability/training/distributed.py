"""The boosted kind's fits on Spark: each booster trained by `xgboost.spark` over `workers` barrier
tasks, one per Spark task slot, so that the same training (training/boosted.py) runs on a cluster.

`xgboost.spark` starts all of its workers in one barrier stage. When more workers are asked for
than the session has task slots, it only logs a warning, and the stage waits for slots that never
come. `SparkFit` checks the slots first and fails at once, with the numbers.

The stacked feature matrix is built on the driver (it comes from the linear model's cross-fitting)
and handed to Spark as a DataFrame of one vector column; the booster comes back to the driver and
is stored and served as a single-node one is. Only training imports PySpark: serving never does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import xgboost as xgb

from supportability.training.boosted import EARLY_STOPPING_ROUNDS, best_rounds

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

HELD_OUT = "held_out"  # the validation indicator column of early stopping
_CLASSIFIER_OBJECTIVES = ("binary:", "multi:")  # the rest are regressions
_CHOSEN_BY_ESTIMATOR = ("objective", "num_class", "eval_metric")  # SparkXGBClassifier sets these from the labels


class TooManyWorkers(ValueError):
    """More xgboost.spark workers than the Spark session has task slots: the barrier stage would never start."""


def task_slots(spark: SparkSession) -> int:
    """How many tasks the session can run at once (cores of the executors registered now / spark.task.cpus):
    what Spark itself compares a barrier stage with."""
    jsc = spark.sparkContext._jsc.sc()  # the count is only on the JVM side
    return int(jsc.maxNumConcurrentTasks(jsc.resourceProfileManager().resourceProfileFromId(0)))


@dataclass
class SparkFit:
    """A `BoosterFit` (training/boosted.py) that trains on Spark with `workers` xgboost.spark workers."""

    spark: SparkSession
    workers: int = 2

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, not {self.workers}")
        slots = task_slots(self.spark)
        if self.workers > slots:
            raise TooManyWorkers(
                f"{self.workers} xgboost.spark workers asked for, but the Spark session "
                f"({self.spark.sparkContext.master}) has {slots} task slot{'s' if slots != 1 else ''}: every worker "
                "is one task of a barrier stage, which would wait for ever. Ask for at most "
                f"{slots} workers, or give the session more cores."
            )
        self.description = f"xgboost.spark on {self.spark.sparkContext.master}, {self.workers} workers"

    def __call__(
        self,
        params: dict[str, Any],
        x: np.ndarray,
        y: np.ndarray,
        rounds: int,
        early_stop: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> xgb.Booster:
        from xgboost.spark import SparkXGBClassifier, SparkXGBRegressor

        frame = self._frame(x, y, early_stop)
        classify = str(params.get("objective", "")).startswith(_CLASSIFIER_OBJECTIVES)
        settings: dict[str, Any] = {k: v for k, v in params.items() if not (classify and k in _CHOSEN_BY_ESTIMATOR)}
        if "seed" in settings:
            settings["random_state"] = settings.pop("seed")
        if early_stop is not None:
            settings |= {"validation_indicator_col": HELD_OUT, "early_stopping_rounds": EARLY_STOPPING_ROUNDS}
        estimator = (SparkXGBClassifier if classify else SparkXGBRegressor)(
            features_col="features",
            label_col="label",
            num_workers=self.workers,
            # Shuffled across the workers: each gets training and held-out rows (the quantile loss
            # fails on a worker with an empty held-out part).
            force_repartition=True,
            repartition_random_shuffle=True,
            n_estimators=rounds,
            **settings,
        )
        return best_rounds(estimator.fit(frame).get_booster())

    def _frame(self, x: np.ndarray, y: np.ndarray, early_stop: tuple[np.ndarray, np.ndarray] | None) -> DataFrame:
        """(features vector, label[, held_out]) rows, through Arrow."""
        import pandas as pd
        from pyspark.ml.functions import array_to_vector
        from pyspark.sql import functions as F

        xs, ys, held = [x], [y], [np.zeros(len(x), dtype=bool)]
        if early_stop is not None:
            xs.append(early_stop[0])
            ys.append(early_stop[1])
            held.append(np.ones(len(early_stop[0]), dtype=bool))
        rows = pd.DataFrame(
            {
                "features": list(np.vstack(xs).astype(np.float64)),
                "label": np.concatenate(ys).astype(np.float64),
                HELD_OUT: np.concatenate(held),
            }
        )
        frame = self.spark.createDataFrame(rows).withColumn("features", array_to_vector(F.col("features")))
        return frame if early_stop is not None else frame.drop(HELD_OUT)
