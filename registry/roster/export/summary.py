"""The export's summary: the people counted as they stream past, and what the roster's second
and third sheets show (the agencies nobody answered for, counts by kind, role and status)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from registry.models import AgencyKind, Role, Status
from registry.roster.export.selection import AgencyAnswer, ExportRow, ExportScope, MissingAgency


@dataclass
class Tally:
    """People exported, counted as they stream past (for the summary sheet)."""

    people: int = 0
    by_kind: dict[AgencyKind, int] = field(default_factory=dict)
    by_role: dict[str, int] = field(default_factory=lambda: {role.value: 0 for role in Role})
    by_status: dict[str, int] = field(default_factory=dict)

    def add(self, rows: list[ExportRow]) -> None:
        for row in rows:
            self.people += 1
            self.by_kind[row.agency_kind] = self.by_kind.get(row.agency_kind, 0) + 1
            self.by_role[row.role] = self.by_role.get(row.role, 0) + 1
            self.by_status[row.status] = self.by_status.get(row.status, 0) + 1


@dataclass(frozen=True)
class ExportSummary:
    """What the roster's second and third sheets show, known once every person is written."""

    scope: ExportScope
    agencies: dict[AgencyKind, int]  # current agencies of the scope, by kind
    missing: list[MissingAgency]
    tally: Tally
    # Every current agency of the scope with the time it answered (the summary's last table),
    # and the deadline of the open campaign, if any (agencies missing after it are overdue).
    answers: list[AgencyAnswer] = field(default_factory=list)
    deadline: date | None = None
    on: date | None = None

    def overdue(self) -> bool:
        return self.deadline is not None and self.on is not None and self.on > self.deadline

    def statuses(self) -> list[str]:
        """The statuses an export of this scope can hold, in their usual order."""
        if self.scope.status is not None:
            return [self.scope.status.value]
        return [s.value for s in Status if s is not Status.retired]
