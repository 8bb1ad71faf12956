"""planning: route plans are approved and published by a named planner

Revision ID: planning_0002
Revises: planning_0001
Create Date: 2026-11-25 11:00:00
"""

import sqlalchemy as sa
from alembic import op

import radhus.core.db

revision = "planning_0002"
down_revision = "planning_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("planning_routes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approved_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("approved_by_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("approved_at", radhus.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("published_at", radhus.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("published_version", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("published_plan", sa.JSON(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_planning_routes_approved_by_users"), "users", ["approved_by"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("planning_routes", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_planning_routes_approved_by_users"), type_="foreignkey")
        batch_op.drop_column("published_plan")
        batch_op.drop_column("published_version")
        batch_op.drop_column("published_at")
        batch_op.drop_column("approved_at")
        batch_op.drop_column("approved_by_name")
        batch_op.drop_column("approved_by")
