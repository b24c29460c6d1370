"""Each logged prediction's experiment assignment (experiment, arm, propensity, unit), and shadow predictions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

Why: issue 13 (experiments) reads A/B tests and bandits per arm from the stored outcomes, and
off-policy evaluation needs the probability with which each served arm was chosen. The columns
are nullable: predictions outside any experiment, and those logged before this revision, have none.
A shadow version's prediction of a served case is kept under the served prediction's id, so both
are judged on the same outcome.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("predictions") as batch:
        batch.add_column(sa.Column("experiment", sa.String(128)))
        batch.add_column(sa.Column("arm", sa.String(128)))
        batch.add_column(sa.Column("propensity", sa.Float()))
        batch.add_column(sa.Column("unit_id", sa.String(128)))
    op.create_table(
        "shadow_predictions",
        sa.Column("prediction_id", sa.String(36), primary_key=True),
        sa.Column("model_version", sa.String(128), primary_key=True),
        sa.Column("experiment", sa.String(128), nullable=False),
        sa.Column("predict_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("routing", sa.JSON(), nullable=False),
        sa.Column("decision_action", sa.String(16)),
        sa.Column("prediction", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_shadow_predictions_predict_time", "shadow_predictions", ["predict_time"])


def downgrade() -> None:
    op.drop_table("shadow_predictions")
    with op.batch_alter_table("predictions") as batch:
        for name in ("unit_id", "propensity", "arm", "experiment"):
            batch.drop_column(name)
