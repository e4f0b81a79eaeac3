"""The export's summary: the people counted as they stream past, and what the roster's second
and third sheets show (the agencies nobody answered for, counts by kind, role and status)."""

from __future__ import annotations

from dataclasses import dataclass, field

from registry.models import AgencyKind, Role, Status
from registry.roster.export.selection import ExportRow, ExportScope, MissingAgency


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

    def statuses(self) -> list[str]:
        """The statuses an export of this scope can hold, in their usual order."""
        if self.scope.status is not None:
            return [self.scope.status.value]
        return [s.value for s in Status if s is not Status.retired]
