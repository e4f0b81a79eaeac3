"""chat state: the inbox of updates and held files

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 10:26:38.736436

``chat_update`` (the inbox: every update stored before it is handled) replaces
``processed_update``; the updates recorded there are kept as handled ones, so a late repeat of
them is still recognised. ``held_file`` (a list waiting for its confirmation, one per chat, for
the chat and the upload page alike) replaces ``pending_file``; a list waiting there is carried
over with its old id as its token, which is what its confirmation names. Downgrading carries
both back.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "chat_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("delivery", sa.String(length=64), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_update")),
        sa.UniqueConstraint("channel", "delivery", name=op.f("uq_chat_update_channel_delivery")),
    )
    with op.batch_alter_table("chat_update", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chat_update_handled_at"), ["handled_at"], unique=False)
        batch_op.create_index(
            "ix_chat_update_waiting",
            ["channel", "chat_id", "id"],
            unique=False,
            sqlite_where=sa.text("handled_at IS NULL"),
            postgresql_where=sa.text("handled_at IS NULL"),
        )
    op.execute(
        "INSERT INTO chat_update (channel, delivery, chat_id, user_id, received_at, handled_at) "
        "SELECT channel, update_id, '', '', at, at FROM processed_update"
    )

    op.create_table(
        "held_file",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "chat_id", name=op.f("pk_held_file")),
    )
    # A chat had one list at a time; its id, kept in the dialog state, becomes its token.
    op.execute(
        "INSERT INTO held_file (channel, chat_id, token, name, content, held_at) "
        "SELECT channel, chat_id, CAST(id AS VARCHAR(20)), name, content, created_at "
        "FROM pending_file WHERE id IN (SELECT MAX(id) FROM pending_file GROUP BY channel, chat_id)"
    )

    with op.batch_alter_table("pending_file", schema=None) as batch_op:
        batch_op.drop_index("ix_pending_file_chat")
    op.drop_table("pending_file")
    with op.batch_alter_table("processed_update", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_processed_update_at"))
    op.drop_table("processed_update")


def downgrade() -> None:
    """Downgrade schema."""
    op.create_table(
        "processed_update",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("update_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "update_id", name=op.f("pk_processed_update")),
    )
    with op.batch_alter_table("processed_update", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_processed_update_at"), ["at"], unique=False)
    # Every stored update, handled or not: the old code must not handle one a second time.
    op.execute(
        "INSERT INTO processed_update (channel, update_id, at) "
        "SELECT channel, delivery, received_at FROM chat_update"
    )

    op.create_table(
        "pending_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_file")),
    )
    with op.batch_alter_table("pending_file", schema=None) as batch_op:
        batch_op.create_index("ix_pending_file_chat", ["channel", "chat_id"], unique=False)
    op.execute(
        "INSERT INTO pending_file (channel, chat_id, name, content, created_at) "
        "SELECT channel, chat_id, name, content, held_at FROM held_file"
    )

    op.drop_table("held_file")
    with op.batch_alter_table("chat_update", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_chat_update_waiting",
            sqlite_where=sa.text("handled_at IS NULL"),
            postgresql_where=sa.text("handled_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_chat_update_handled_at"))
    op.drop_table("chat_update")
