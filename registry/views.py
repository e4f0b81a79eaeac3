"""Plain, read-only results of the use cases; channels never see ORM objects."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from registry.models import Account, Agency, ChangeLog, Person


@dataclass(frozen=True)
class Notice:
    """Something the person should be told although nothing failed (a converted phone...)."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AgencyView:
    id: int
    code: str
    name: str
    short_name: str | None
    kind: str
    parent_code: str | None
    valid_from: date | None
    valid_to: date | None
    successor_code: str | None
    successor_name: str | None

    @classmethod
    def of(cls, agency: Agency, *, parent: Agency | None = None, successor: Agency | None = None):
        return cls(
            id=agency.id,
            code=agency.code,
            name=agency.name,
            short_name=agency.short_name,
            kind=agency.kind.value,
            parent_code=parent.code if parent else None,
            valid_from=agency.valid_from,
            valid_to=agency.valid_to,
            successor_code=successor.code if successor else None,
            successor_name=successor.name if successor else None,
        )

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class PersonView:
    id: int
    agency_id: int
    agency_code: str
    agency_name: str
    full_name: str
    position: str | None
    role: str
    mobile: str | None  # E.164
    office_phone: str | None  # E.164
    office_ext: str | None
    email: str | None
    note: str | None
    status: str
    source: str
    version: int
    created_at: datetime
    updated_at: datetime
    confirmed_at: datetime | None = None  # when the details were last known right

    @classmethod
    def of(cls, person: Person, agency: Agency) -> PersonView:
        return cls(
            id=person.id,
            agency_id=agency.id,
            agency_code=agency.code,
            agency_name=agency.name,
            full_name=person.full_name,
            position=person.position,
            role=person.role.value,
            mobile=person.mobile,
            office_phone=person.office_phone,
            office_ext=person.office_ext,
            email=person.email,
            note=person.note,
            status=person.status.value,
            source=person.source.value,
            version=person.version,
            created_at=person.created_at,
            updated_at=person.updated_at,
            confirmed_at=person.confirmed_at,
        )

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class PersonResult:
    """A person after a change, with what the person should be told about it."""

    person: PersonView
    notices: list[Notice] = field(default_factory=list)


@dataclass(frozen=True)
class ChangeView:
    at: datetime
    actor: str
    action: str
    field: str | None
    old_value: str | None
    new_value: str | None

    @classmethod
    def of(cls, entry: ChangeLog) -> ChangeView:
        return cls(
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            field=entry.field,
            old_value=entry.old_value,
            new_value=entry.new_value,
        )

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


def identity_of(account: Account) -> str:
    """ "telegram:123456": how a chat identity is written everywhere."""
    return f"{account.channel}:{account.external_id}"


@dataclass(frozen=True)
class AccountView:
    """A chat identity with its effective role: that of the account it is linked to, if any."""

    id: int
    identity: str  # "telegram:123456"
    role: str
    agency_code: str | None
    person_id: int | None
    language: str | None
    display_name: str | None
    linked_to: str | None = None  # the identity whose role and record this one shares

    @classmethod
    def of(
        cls, account: Account, agency: Agency | None, root: Account | None = None
    ) -> AccountView:
        """``agency`` is the effective one (the root's); ``root`` the account linked to."""
        effective = root or account
        return cls(
            id=account.id,
            identity=identity_of(account),
            role=effective.role.value,
            agency_code=agency.code if agency else None,
            person_id=effective.person_id,
            language=account.language,
            display_name=account.display_name,
            linked_to=identity_of(root) if root is not None else None,
        )

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class LinkView:
    """Two chat identities joined by /link: the one that sent the code is now ``linked_to``'s,
    with this role and record."""

    identity: str  # the identity that redeemed the code
    linked_to: str  # the identity whose role, agency and record both now share
    role: str
    agency_code: str | None
    agency_name: str | None
    person_id: int | None
    consented: bool  # whether the redeeming identity has accepted the personal-data notice

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value
