"""notes tables: notes (encrypted content), tracked edits and recordings

Revision ID: notes_0001
Revises: 0001_core
Create Date: 2026-11-25 08:50:00
"""

import sqlalchemy as sa
from alembic import op

import radhus.core.db

revision = "notes_0001"
down_revision = "0001_core"
branch_labels = ("notes",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("data_class", sa.String(length=20), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_by_name", sa.String(length=200), nullable=False),
        sa.Column("approved_by", sa.Integer(), nullable=True),
        sa.Column("approved_by_name", sa.String(length=200), nullable=True),
        sa.Column("approved_at", radhus.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", radhus.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", radhus.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["approved_by"], ["users.id"], name=op.f("fk_notes_approved_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_notes_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_notes_org_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes")),
    )
    op.create_index(op.f("ix_notes_org_id"), "notes", ["org_id"], unique=False)
    op.create_index(op.f("ix_notes_status"), "notes", ["status"], unique=False)
    op.create_table(
        "note_edits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("at", radhus.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("diff", sa.LargeBinary(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["note_id"], ["notes.id"], name=op.f("fk_note_edits_note_id_notes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_note_edits_org_id_organisations")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_note_edits_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note_edits")),
    )
    op.create_index(op.f("ix_note_edits_note_id"), "note_edits", ["note_id"], unique=False)
    op.create_index(op.f("ix_note_edits_org_id"), "note_edits", ["org_id"], unique=False)
    op.create_table(
        "note_recordings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("suffix", sa.String(length=10), nullable=False),
        sa.Column("duration_s", sa.Double(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("delete_after", radhus.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", radhus.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", radhus.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["note_id"], ["notes.id"], name=op.f("fk_note_recordings_note_id_notes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_note_recordings_org_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note_recordings")),
    )
    op.create_index(op.f("ix_note_recordings_delete_after"), "note_recordings", ["delete_after"], unique=False)
    op.create_index(op.f("ix_note_recordings_note_id"), "note_recordings", ["note_id"], unique=False)
    op.create_index(op.f("ix_note_recordings_org_id"), "note_recordings", ["org_id"], unique=False)


def downgrade() -> None:
    op.drop_table("note_recordings")
    op.drop_table("note_edits")
    op.drop_table("notes")
