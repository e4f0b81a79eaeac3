"""The flows as declared: every step has its handler, every command one owner, drafts that
survive storage, and a stored state from an older version that does not break a dialog."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import pytest

from bot.dialogs import engine, register
from bot.dialogs.context import Context
from bot.dialogs.flow import Audience, Flow, NoDraft, stored
from registry.actors import Actor
from registry.models import AccountRole


class Steps(enum.StrEnum):
    one = "one"
    two = "two"


async def handler(ctx: Context[NoDraft]) -> None:
    return None


def test_a_flow_with_a_step_and_no_handler_is_refused_at_import() -> None:
    with pytest.raises(TypeError, match="no handler for \\['two'\\]"):
        Flow("broken", Steps, {Steps.one: handler}, NoDraft)


def test_a_flow_with_a_handler_of_another_flow_is_refused() -> None:
    class Other(enum.StrEnum):
        three = "three"

    with pytest.raises(TypeError, match="unknown steps"):
        Flow(
            "broken", Steps, {Steps.one: handler, Steps.two: handler, Other.three: handler}, NoDraft
        )


def test_every_declared_flow_handles_each_of_its_steps() -> None:
    assert set(engine.FLOWS) == {
        "consent",
        "language",
        "register",
        "update",
        "withdraw",
        "link",
        "find",
        "agency",
        "retire",
        "export",
        "import",
        "erase",
        "claims",
        "broadcast",
        "invite",
        "invite_focal",
        "reconfirm",
        "campaign",
    }
    for flow in engine.FLOWS.values():
        assert set(flow.handlers) == set(flow.steps), flow.name


def test_commands_and_aliases_are_unique_and_all_reachable() -> None:
    names = [name for c in engine.COMMANDS for name in (c.name, *c.aliases)]
    assert len(names) == len(set(names))
    assert {"start", "register", "dangky", "update", "capnhat", "tim", "nhap"} <= set(names)


@dataclass
class Draft:
    name: str | None = None
    seen: list[str] = field(default_factory=list)


def test_a_draft_survives_storage_and_tolerates_an_older_shape() -> None:
    flow = Flow("test", Steps, {Steps.one: handler, Steps.two: handler}, Draft)
    draft = Draft("Nguyễn Văn An", ["agency"])
    assert flow.new_draft(stored(draft)) == draft
    # A field this version no longer has is dropped; a missing one takes its default.
    assert flow.new_draft({"name": "An", "retired_field": 1}) == Draft("An")
    assert flow.new_draft(None) == Draft()
    assert flow.step("two") is Steps.two
    assert flow.step("gone") is None


def test_the_register_draft_keeps_normalised_values() -> None:
    draft = register.Draft(mobile="+84912345678", email="an@laocai.gov.vn", agency_code="lao-cai")
    assert register.FLOW.new_draft(stored(draft)) == draft


ROLES = {
    "member": Actor("telegram:1", AccountRole.member),
    "focal without agency": Actor("telegram:2", AccountRole.focal),
    "focal": Actor("telegram:3", AccountRole.focal, agency_id=7),
    "staff": Actor("telegram:4", AccountRole.staff),
    "admin": Actor("telegram:5", AccountRole.admin),
}


@pytest.mark.parametrize(
    ("audience", "allowed"),
    [
        (Audience.everyone, set(ROLES)),
        (Audience.focal, {"focal", "staff", "admin"}),
        (Audience.staff, {"staff", "admin"}),
        (Audience.admin, {"admin"}),
    ],
)
def test_an_audience_allows_exactly_its_roles(audience: Audience, allowed: set[str]) -> None:
    assert {name for name, actor in ROLES.items() if audience.allows(actor)} == allowed


def test_export_template_and_import_are_declared_for_focal_points_and_staff() -> None:
    audiences = {c.name: c.audience for c in engine.COMMANDS}
    assert {audiences[n] for n in ("export", "template", "import", "find")} == {Audience.focal}
    assert {audiences[n] for n in ("missing", "stats")} == {Audience.staff}


def test_only_the_register_flow_steps_back_on_cancel() -> None:
    stepping = {name for name, flow in engine.FLOWS.items() if flow.step_back is not None}
    assert stepping == {"register"}


def test_consent_is_skipped_only_when_a_command_works_on_someone_else() -> None:
    personal = [c for c in engine.COMMANDS if c.needs_consent]
    assert {c.name for c in personal} == {"register", "me", "update", "withdraw", "confirm"}
    assert {c.name for c in personal if c.for_others is not None} == {"register", "update"}
