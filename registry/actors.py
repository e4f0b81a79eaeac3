"""Who is acting, and what each kind of actor may do.

Every permission check of the project lives here and is called by the use cases, so every
channel (Telegram, Zalo, terminal, CLI, import) applies the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from registry.errors import PermissionDenied
from registry.models import AccountRole


@dataclass(frozen=True)
class Actor:
    """The one doing a change: a chat account with its role, or the system (the CLI)."""

    label: str  # written into the ChangeLog: "cli", "telegram:123456", ...
    role: AccountRole | None = None  # None means the system itself
    account_id: int | None = None
    agency_id: int | None = None  # the agency a focal point answers for
    person_id: int | None = None  # the network member this account is

    @classmethod
    def system(cls, label: str = "cli") -> Actor:
        return cls(label=label)

    @property
    def is_system(self) -> bool:
        return self.role is None

    @property
    def is_staff(self) -> bool:
        """Staff of the Press Department (and admins, and the system) see the whole directory."""
        return self.is_system or self.role in (AccountRole.admin, AccountRole.staff)

    @property
    def is_admin(self) -> bool:
        return self.is_system or self.role is AccountRole.admin


def deny(action: str) -> PermissionDenied:
    return PermissionDenied("permission.denied", action=action)


def require_staff(actor: Actor, action: str) -> None:
    if not actor.is_staff:
        raise deny(action)


def require_admin(actor: Actor, action: str) -> None:
    if not actor.is_admin:
        raise deny(action)


def manages_agency(actor: Actor, agency_id: int) -> bool:
    """Staff manage every agency; a focal point manages only its own."""
    return actor.is_staff or (actor.role is AccountRole.focal and actor.agency_id == agency_id)


def may_see_person(actor: Actor, person_id: int, agency_id: int) -> bool:
    """A member sees only their own record; focal points their agency; staff everyone."""
    return manages_agency(actor, agency_id) or actor.person_id == person_id


def require_person_access(actor: Actor, person_id: int, agency_id: int, action: str) -> None:
    if not may_see_person(actor, person_id, agency_id):
        raise deny(action)


def may_search(actor: Actor) -> bool:
    """Staff search everything, a focal point searches within its agency, members not at all."""
    return actor.is_staff or (actor.role is AccountRole.focal and actor.agency_id is not None)


def may_import(actor: Actor) -> bool:
    """Staff import any list; a focal point imports the lists of its own agency."""
    return actor.is_staff or (actor.role is AccountRole.focal and actor.agency_id is not None)
