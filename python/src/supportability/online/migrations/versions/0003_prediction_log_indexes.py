"""The prediction log keeps only the indexes its reads use: by case, and by time.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

Why: every served prediction pays a B-tree insert per index, and the log is the store's hottest
write (issue 11's target: the log may cost PredictCase at most 5% of its calls/s). Every read of
the log is a time window (the online report, the monitor, experiment readouts, retention), which
ix_predictions_predict_time serves; a model version is a filter within the window, so
ix_predictions_version_time only cost writes.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_predictions_version_time", "predictions")


def downgrade() -> None:
    op.create_index("ix_predictions_version_time", "predictions", ["model_version", "predict_time"])
