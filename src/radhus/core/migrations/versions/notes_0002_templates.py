"""notes: templates defined by an organisation's administrators

Revision ID: notes_0002
Revises: notes_0001
Create Date: 2026-11-25 09:20:00
"""

import sqlalchemy as sa
from alembic import op

import radhus.core.db

revision = "notes_0002"
down_revision = "notes_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "note_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", radhus.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_note_templates_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_note_templates_org_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note_templates")),
        sa.UniqueConstraint("org_id", "name", name="uq_note_templates_org_id_name"),
    )
    op.create_index(op.f("ix_note_templates_org_id"), "note_templates", ["org_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_note_templates_org_id"), table_name="note_templates")
    op.drop_table("note_templates")
