"""core: schedule of periodic jobs (one row per organisation and job kind)

Revision ID: 0002_core
Revises: 0001_core
Create Date: 2026-11-25 11:00:00
"""

import sqlalchemy as sa
from alembic import op

import radhus.core.db

revision = "0002_core"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_schedule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("next_run_at", radhus.core.db.UTCDateTime(), nullable=False),
        sa.Column("last_job_id", sa.Integer(), nullable=True),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_job_schedule_org_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_schedule")),
        sa.UniqueConstraint("org_id", "kind", name="uq_job_schedule_org_id_kind"),
    )
    op.create_index(op.f("ix_job_schedule_next_run_at"), "job_schedule", ["next_run_at"], unique=False)
    op.create_index(op.f("ix_job_schedule_org_id"), "job_schedule", ["org_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_job_schedule_org_id"), table_name="job_schedule")
    op.drop_index(op.f("ix_job_schedule_next_run_at"), table_name="job_schedule")
    op.drop_table("job_schedule")
