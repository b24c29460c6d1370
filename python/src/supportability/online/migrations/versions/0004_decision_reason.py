"""Each logged prediction's decision reason: why a case went to human triage.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

Why: issue 12's decision sends a case to human triage for low confidence or because it looks out
of scope, and the two call for different follow-ups online: a rising share of out-of-scope cases is
new traffic the queues do not cover (a reason to add a queue or retrain), a rising share of low
confidence is a model losing its grip on known queues. The column is nullable: auto-routed cases,
predictions without a decision and those logged before this revision have none.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("predictions") as batch:
        batch.add_column(sa.Column("decision_reason", sa.String(16)))


def downgrade() -> None:
    with op.batch_alter_table("predictions") as batch:
        batch.drop_column("decision_reason")
