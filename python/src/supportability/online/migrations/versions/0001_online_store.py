"""The online store: the prediction log, outcomes, and the history of outcome changes.

Revision ID: 0001
Revises:
Create Date: 2026-12-01

Why: issue 11 (the online loop) gives every prediction an id and records what really happened,
so each model version can be judged on live outcomes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "predictions",
        sa.Column("prediction_id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(128), nullable=False),
        sa.Column("model_version", sa.String(128), nullable=False),
        sa.Column("predict_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("routing", sa.JSON(), nullable=False),
        sa.Column("escalation_probability", sa.Float()),
        sa.Column("urgency_level", sa.String(16)),
        sa.Column("csat_risk_probability", sa.Float()),
        sa.Column("resolution_p50_hours", sa.Float()),
        sa.Column("resolution_p90_hours", sa.Float()),
        sa.Column("decision_action", sa.String(16)),
        sa.Column("decision_confidence", sa.Float()),
        sa.Column("decision_threshold", sa.Float()),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("case_text", sa.Text()),
        sa.Column("prediction", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_predictions_case_id", "predictions", ["case_id", "prediction_id"])
    op.create_index("ix_predictions_version_time", "predictions", ["model_version", "predict_time"])
    op.create_index("ix_predictions_predict_time", "predictions", ["predict_time"])
    op.create_table(
        "outcomes",
        sa.Column(
            "prediction_id",
            sa.String(36),
            sa.ForeignKey("predictions.prediction_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("resolved_queue", sa.String(128)),
        sa.Column("escalated", sa.Boolean()),
        sa.Column("final_urgency", sa.String(16)),
        sa.Column("csat_rating", sa.String(8)),
        sa.Column("csat_score", sa.Integer()),
        sa.Column("resolution_hours", sa.Float()),
        sa.Column("helpful_article_ids", sa.JSON()),
        sa.Column("decision_overridden", sa.Boolean()),
        sa.Column("occur_time", sa.DateTime(timezone=True)),
        sa.Column("outside_label_set", sa.Boolean(), nullable=False),
        sa.Column("record_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "outcome_revisions",
        sa.Column("revision_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "prediction_id",
            sa.String(36),
            sa.ForeignKey("predictions.prediction_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("sent", sa.LargeBinary(), nullable=False),
        sa.Column("correction", sa.Boolean(), nullable=False),
        sa.Column("record_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(128), nullable=False),
    )
    op.create_index("ix_outcome_revisions_prediction_id", "outcome_revisions", ["prediction_id"])


def downgrade() -> None:
    op.drop_table("outcome_revisions")
    op.drop_table("outcomes")
    op.drop_table("predictions")
