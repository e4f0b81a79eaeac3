"""The chat-only tables, on the registry's metadata so that Alembic sees them with the rest."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from registry.models import Base, UTCDateTime, utcnow


class Conversation(Base):
    """Where a chat's dialog stands, so a restart or another process continues it."""

    __tablename__ = "conversation"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    flow: Mapped[str | None] = mapped_column(String(32))
    step: Mapped[str | None] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Number of the last question asked; a button of an older question has expired.
    question: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ChatUpdate(Base):
    """The inbox: every update a channel received, stored before it is handled.

    Unique on the platform's delivery key, so an update delivered twice (to one process or to
    two) is stored once; handled in the order of ``id`` per chat, by whichever process holds
    the chat's lock. The payload is dropped once the update is handled: what is left is the
    record that keeps a late repeat out, pruned after a retention period.
    """

    __tablename__ = "chat_update"
    __table_args__ = (
        UniqueConstraint("channel", "delivery"),
        # The chats' waiting updates, oldest first: small, since handled rows leave it.
        Index(
            "ix_chat_update_waiting",
            "channel",
            "chat_id",
            "id",
            sqlite_where=text("handled_at IS NULL"),
            postgresql_where=text("handled_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    # The platform's key of the delivery: Telegram's update_id, Zalo's event and message id.
    delivery: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    # SQL NULL once handled (not JSON null): what was said is not kept longer than needed.
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)


class HeldFile(Base):
    """A list waiting for its sender's confirmation (an import after its dry run), one per
    chat: sent in the chat or uploaded on the web page made for that chat. A new list replaces
    the one held; ``token`` is new each time, so a confirmation names the list it was shown."""

    __tablename__ = "held_file"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    held_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SharedFile(Base):
    """A web link made for one chat identity, for chats that cannot carry files (Zalo).

    ``download``: a file made for someone (the roster), served once before it expires; its
    content is deleted as soon as it has been taken. ``upload``: a page where someone sends a
    list to import (the list itself then waits in :class:`HeldFile`); used up on confirmation.
    """

    __tablename__ = "shared_file"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # random, URL-safe
    purpose: Mapped[str] = mapped_column(String(16))  # "download" or "upload"
    # Whose it is: the chat identity that asked for it (rights are checked again on use).
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(5))
    file_name: Mapped[str | None] = mapped_column(String(255))
    media_type: Mapped[str | None] = mapped_column(String(127))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Broadcast(Base):
    """A message staff sent to a segment of the network: who, to whom, what, and how it went.

    The letters themselves wait in :class:`OutboxMessage` (one per recipient chat); the counts
    here are what the author was shown and told at the end. ``report_*`` is the chat that asked
    (none from the CLI), told the final figures once every letter is done (``reported_at``).
    """

    __tablename__ = "broadcast"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    author: Mapped[str] = mapped_column(String(80))  # the identity that sent it ("telegram:2")
    segment: Mapped[str] = mapped_column(String(16))  # everyone, kind, missing, focal, agency
    target: Mapped[str | None] = mapped_column(String(64))  # the kind or the agency code
    body: Mapped[str] = mapped_column(Text)
    # Sent at night too: staff asked for it (an urgent notice).
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    report_channel: Mapped[str | None] = mapped_column(String(16))
    report_chat_id: Mapped[str | None] = mapped_column(String(64))
    report_language: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OutboxMessage(Base):
    """One message to one chat, stored before it is sent: the durable outbox.

    ``dedupe`` is unique: enqueueing the same letter twice stores it once, which is what makes
    every scheduled job (and ``spokes tick``) idempotent. The text is rendered when it is sent,
    in ``language``: a catalog key and its parameters, or a body staff wrote. A message is
    claimed by moving ``next_attempt_at`` past a lease, then marked ``sent`` in a commit of its
    own right after the platform accepted it; see :mod:`bot.pipeline.outbox` for what a crash
    in between means.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        # The due messages, soonest first: small, since done messages leave it.
        Index(
            "ix_outbox_message_due",
            "next_attempt_at",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe: Mapped[str] = mapped_column(String(160), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(5))
    text_key: Mapped[str | None] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    body: Mapped[str | None] = mapped_column(Text)
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcast.id"), index=True)
    # Held back between the quiet hours (21:00–07:00 local time) unless staff asked otherwise.
    quiet: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Short, and never the text, a token or a person's data: the platform's error class.
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
