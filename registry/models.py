"""The registry's tables: agencies, people (network members), chat accounts, the change log and
the import journal.

The tables that exist only because of chats (dialog state, the inbox of updates, held lists,
file links) are the bot's: :mod:`bot.state.models`, on this same metadata.

Enumerations are stored as short strings with a named CHECK constraint (``native_enum=False``),
so SQLite and PostgreSQL hold the same values under the same constraint names and a new value
is a one-line migration on both.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Search keys hold only [a-z0-9 ]; a bytewise collation on PostgreSQL lets the B-tree index
# serve prefix ranges (SQLite compares bytewise already).
SearchKey = String(120).with_variant(String(120, collation="C"), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that always comes back timezone-aware (UTC).

    PostgreSQL keeps the zone; SQLite stores text without it, so the zone is put back on read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class AgencyKind(enum.StrEnum):
    ministry = "ministry"
    ministerial_agency = "ministerial_agency"
    government_agency = "government_agency"
    province = "province"
    city = "city"
    department = "department"
    commune = "commune"
    other = "other"


class Role(enum.StrEnum):
    """The three roles of Nghị định 09/2017 Điều 3, plus the press-contact officer."""

    head = "head"
    spokesperson = "spokesperson"
    authorized_spokesperson = "authorized_spokesperson"
    press_contact = "press_contact"


class PersonField(enum.StrEnum):
    """A person's fields as people name them, in the order they are asked, listed and printed.

    Declared once: the dialogs, the CLI, the import headers, the export columns and the texts
    (``field.<name>``) all derive their lists from this order.
    """

    agency = "agency"
    full_name = "full_name"
    position = "position"
    role = "role"
    mobile = "mobile"
    office_phone = "office_phone"
    email = "email"
    note = "note"

    @classmethod
    def own(cls) -> tuple[PersonField, ...]:
        """What a person gives about themselves in a chat (the agency is chosen before, the
        note is for staff)."""
        return tuple(f for f in cls if f not in (cls.agency, cls.note))

    @classmethod
    def contacts(cls) -> tuple[PersonField, ...]:
        """At least one of these must be known for a record to be of any use."""
        return (cls.mobile, cls.office_phone, cls.email)


class Status(enum.StrEnum):
    pending = "pending"
    verified = "verified"
    retired = "retired"


class Source(enum.StrEnum):
    chat = "chat"
    import_ = "import"
    cli = "cli"


class AccountRole(enum.StrEnum):
    admin = "admin"
    staff = "staff"
    focal = "focal"
    member = "member"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


# The partial unique indexes of active people, by name: what makes each partial. SQLite's copy
# of the predicate is named in the index; PostgreSQL's is given by ``name_postgresql_predicates``
# when a PostgreSQL engine is made (registry.db), because naming a ``postgresql_`` option here
# would make SQLAlchemy load its PostgreSQL dialect in every process, a SQLite one included, for
# about a tenth of a command's start.
ACTIVE_ONLY = {
    "uq_person_active_mobile": "status != 'retired' AND mobile IS NOT NULL",
    "uq_person_active_name": "status != 'retired'",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Agency(TimestampMixin, Base):
    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    short_name: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[AgencyKind] = mapped_column(_enum(AgencyKind, "agency_kind"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    # Catalog order (the order of the official list), used by listings and the printed roster.
    sort_order: Mapped[int] = mapped_column(Integer, default=10_000)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))

    parent: Mapped[Agency | None] = relationship(
        remote_side="Agency.id", foreign_keys=[parent_id], lazy="raise"
    )
    successor: Mapped[Agency | None] = relationship(
        remote_side="Agency.id", foreign_keys=[successor_id], lazy="raise"
    )

    def is_current(self, on: date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_to is None or self.valid_to > on
        )


class Person(TimestampMixin, Base):
    """A network member. Never deleted: "remove" means status ``retired``.

    An erased record (the person asked for erasure) stays as a tombstone: status ``retired``,
    ``erased_at`` set, every personal field blanked, so that the audit trail still points at
    something and the record never shows anywhere again.
    """

    __tablename__ = "person"
    __table_args__ = (
        # A mobile belongs to one active person; office lines and emails may be shared.
        Index(
            "uq_person_active_mobile",
            "mobile",
            unique=True,
            sqlite_where=text(ACTIVE_ONLY["uq_person_active_mobile"]),
        ),
        # The published directory's Last-Modified: the latest change of anyone.
        Index("ix_person_updated_at", "updated_at"),
        Index(
            "uq_person_active_name",
            "agency_id",
            "name_key",
            unique=True,
            sqlite_where=text(ACTIVE_ONLY["uq_person_active_name"]),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    full_name: Mapped[str] = mapped_column(String(100))
    name_key: Mapped[str] = mapped_column(SearchKey)
    position: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(_enum(Role, "person_role"))
    mobile: Mapped[str | None] = mapped_column(String(20), index=True)
    office_phone: Mapped[str | None] = mapped_column(String(20), index=True)
    office_ext: Mapped[str | None] = mapped_column(String(10))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[Status] = mapped_column(_enum(Status, "person_status"), default=Status.pending)
    source: Mapped[Source] = mapped_column(_enum(Source, "person_source"), default=Source.cli)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # When the person's data was erased at their request (or by staff); None for a live record.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The person agreed to have their personal mobile shown in the published directory (asked
    # in /register and /update, default no, withdrawable); when they last answered.
    publish_mobile: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    publish_mobile_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # When the details were last known right: registering, an update and a re-confirmation
    # set it; past the re-confirmation age the person is asked again (:mod:`registry.campaigns`).
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    agency: Mapped[Agency] = relationship(lazy="raise")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class NameWord(Base):
    """Every word-suffix of a person's folded name ("nguyen van an", "van an", "an").

    A search for "van an" is then a prefix range on an index, on SQLite and PostgreSQL alike,
    instead of a scan with ``LIKE '%van an%'``.
    """

    __tablename__ = "name_word"

    # Key first: a prefix range on the primary key comes out already ordered by (key, person),
    # so a page of results reads a page of index entries, whatever the size of the directory.
    key: Mapped[str] = mapped_column(SearchKey, primary_key=True)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Account(TimestampMixin, Base):
    """A chat identity (``telegram:123456``, ``console:7``) and what it may do."""

    __tablename__ = "account"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[AccountRole] = mapped_column(
        _enum(AccountRole, "account_role"), default=AccountRole.member
    )
    # The agency a focal point answers for.
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    # The network member this chat identity is.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    language: Mapped[str | None] = mapped_column(String(5))
    display_name: Mapped[str | None] = mapped_column(String(100))
    # When the person accepted the personal-data notice; nothing about them is kept before.
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Another chat identity of the same person (joined with /link): the role, the agency and the
    # record are that account's. Always a root: an account linked to is never linked itself.
    linked_to_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))


class ChangeLog(Base):
    """Who changed what and when; written in the same transaction as the change."""

    __tablename__ = "change_log"
    __table_args__ = (Index("ix_change_log_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(80))
    entity: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    field: Mapped[str | None] = mapped_column(String(32))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)


class LinkCode(Base):
    """A one-time code shown by /link in one chat, to be sent from another chat of the same
    person; redeeming it joins the two chat identities."""

    __tablename__ = "link_code"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class RunStatus(enum.StrEnum):
    queued = "queued"  # waiting for the server to run it (a chat or upload-page import)
    running = "running"
    finished = "finished"
    interrupted = "interrupted"  # its process died; shown so when found out (see the journal)
    failed = "failed"  # refused as a whole, or broken before its end


class ImportRun(Base):
    """One real import: who, what file, when, how it stands (:mod:`registry.roster.intake.journal`).

    ``content`` holds the file of a queued import until it has finished (so a server that died
    can run it again); ``origin`` is where the run was asked from, opaque to the registry (the
    chat to tell the report to). ``heartbeat_at`` moves with every batch the run commits.
    """

    __tablename__ = "import_run"
    __table_args__ = (Index("ix_import_run_status", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor: Mapped[str] = mapped_column(String(80))
    account_id: Mapped[int | None] = mapped_column(Integer)
    agency_code: Mapped[str | None] = mapped_column(String(32))
    agency_name: Mapped[str | None] = mapped_column(String(300))
    file_name: Mapped[str] = mapped_column(String(255))
    file_size: Mapped[int] = mapped_column(Integer)
    file_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[RunStatus] = mapped_column(_enum(RunStatus, "import_run_status"))
    error_code: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)
    rows_total: Mapped[int | None] = mapped_column(Integer)
    # The table read: format, sheet, header row, headers and column keys (for the report).
    table: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    options: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    origin: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)


class ImportRowResult(Base):
    """What became of one row of a run, written in the same transaction as the row's change."""

    __tablename__ = "import_row"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("import_run.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    outcome: Mapped[str] = mapped_column(String(16))
    person_id: Mapped[int | None] = mapped_column(Integer)
    duplicate_of: Mapped[int | None] = mapped_column(Integer)
    # Changed fields, problems and notices as codes and parameters (no cell values).
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ClaimStatus(enum.StrEnum):
    pending = "pending"
    confirmed = "confirmed"
    refused = "refused"


class Claim(Base):
    """A chat account saying "this listed record is me", waiting for the agency's focal point
    or staff to confirm or refuse it (:mod:`registry.claims`).

    ``account_id`` is the account that gets the record (the root of a linked identity);
    ``chat`` is the chat identity that asked (``zalo:123``), told of the decision.
    """

    __tablename__ = "claim"
    __table_args__ = (Index("ix_claim_status", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    chat: Mapped[str] = mapped_column(String(80))
    status: Mapped[ClaimStatus] = mapped_column(
        _enum(ClaimStatus, "claim_status"), default=ClaimStatus.pending
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class InvitationPurpose(enum.StrEnum):
    focal = "focal"  # the person becomes the agency's focal point, then registers its people
    spokespeople = "spokespeople"  # people of the agency register themselves


class Invitation(Base):
    """An invitation mailed to an agency (:mod:`registry.invitations`).

    The token handed out is signed and carries this row's id, the agency, the purpose and the
    expiry; the token itself (and its signature) is never stored. The row is what a revocation
    and the uses need: a token whose row is revoked or used up is refused.
    """

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    purpose: Mapped[InvitationPurpose] = mapped_column(
        _enum(InvitationPurpose, "invitation_purpose")
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    max_uses: Mapped[int] = mapped_column(Integer, default=1)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(80))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by: Mapped[str | None] = mapped_column(String(80))


class Campaign(Base):
    """A call to the agencies for their lists, with a deadline and a reminder schedule.

    ``reminder_days``: days before the deadline on which the agencies still missing are
    reminded ("7,3,1"); after the deadline, one reminder every ``overdue_every`` days while they
    are still missing. ``kind``: only the agencies of that kind (all current agencies if None).
    At most one campaign is open at a time (``closed_at`` None).
    """

    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[AgencyKind | None] = mapped_column(_enum(AgencyKind, "campaign_kind"))
    deadline: Mapped[date] = mapped_column(Date)
    reminder_days: Mapped[str] = mapped_column(String(64), default="7,3,1")
    overdue_every: Mapped[int] = mapped_column(Integer, default=7)
    opened_by: Mapped[str] = mapped_column(String(80))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Reconfirmation(Base):
    """A person asked "are your details still correct?" about the details confirmed at
    ``since``: how many prompts were sent, the last one when. A newer ``confirmed_at`` on the
    person makes the row moot (the next request starts again from nothing)."""

    __tablename__ = "reconfirmation"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    since: Mapped[datetime] = mapped_column(UTCDateTime())
    prompts: Mapped[int] = mapped_column(Integer, default=0)
    last_prompt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def name_postgresql_predicates() -> None:
    """Give the partial indexes of :data:`ACTIVE_ONLY` their PostgreSQL predicate, as the
    migrations create them (once; later calls find it there)."""
    for index in Person.__table__.indexes:
        predicate = ACTIVE_ONLY.get(str(index.name))
        if predicate is not None and index.dialect_options["postgresql"]["where"] is None:
            index.dialect_options["postgresql"]["where"] = text(predicate)
