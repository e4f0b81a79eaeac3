"""How people, agencies and histories are written in chat messages."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.clock import shown
from bot.dialogs.context import Context
from bot.dialogs.fields import phone_text
from registry.agency_names import known, name_in
from registry.directory import FindResult, Statistics
from registry.validation import format_phone
from registry.views import AgencyView, ChangeView, Notice, PersonView

_ONE_CHANGE = timedelta(seconds=2)  # entries this close, of one actor and action: one change


def agency_name(ctx: Context[Any], code: str, name: str) -> str:
    """An agency's name in the person's language: English names of the official lists."""
    return name_in(ctx.language, code, name)


def merged_lines(ctx: Context[Any], items: list[Notice]) -> list[str]:
    """ "Tỉnh Yên Bái đã hợp nhất vào Tỉnh Lào Cai ...", with the names in the person's language."""
    lines = []
    for notice in items:
        params = dict(notice.params)
        params["former"] = agency_name(ctx, params.get("former_code", ""), params["former"])
        params["successor"] = agency_name(
            ctx, params.get("successor_code", ""), params["successor"]
        )
        lines.append(ctx.say(f"notice.{notice.code}", **params))
    return lines


def person_card(ctx: Context[Any], person: PersonView) -> str:
    lines = [
        f"#{person.id} {person.full_name}",
        ctx.say("bot.card.agency", value=agency_name(ctx, person.agency_code, person.agency_name)),
        ctx.say("bot.card.position", value=person.position or "—"),
        ctx.say("bot.card.role", value=ctx.say(f"role.{person.role}")),
        ctx.say("bot.card.mobile", value=format_phone(person.mobile) or "—"),
        ctx.say(
            "bot.card.office_phone",
            value=phone_text(ctx, person.office_phone, person.office_ext) or "—",
        ),
        ctx.say("bot.card.email", value=person.email or "—"),
        ctx.say("bot.card.status", value=ctx.say(f"status.{person.status}")),
    ]
    if person.confirmed_at is not None:
        lines.append(ctx.say("bot.card.confirmed", value=shown(person.confirmed_at, "%d/%m/%Y")))
    return "\n".join(lines)


def person_line(ctx: Context[Any], person: PersonView) -> str:
    contact = format_phone(person.mobile) or person.email or ""
    role = ctx.say(f"role.{person.role}")
    agency = agency_name(ctx, person.agency_code, person.agency_name)
    line = f"#{person.id} {person.full_name} — {role}, {agency}"
    return f"{line} · {contact}" if contact else line


def _value(ctx: Context[Any], field: str | None, value: str | None) -> str:
    """A stored value as people read it: role names, national phone formats."""
    if not value:
        return "—"
    if field in ("role", "status"):
        return ctx.say(f"{field}.{value}")
    if field in ("mobile", "office_phone"):
        number, _, extension = value.partition(";ext=")
        return phone_text(ctx, number, extension or None)
    if field == "publish_mobile":  # the person's answer, logged as True / False
        answer = "yes" if value == "True" else "no"
        return ctx.say(f"bot.publish_mobile.shown_{answer}")
    if field == "confirmed_at":  # logged as an ISO time in UTC
        try:
            return shown(datetime.fromisoformat(value), "%d/%m/%Y")
        except ValueError:
            return value
    if field == "agency":  # logged by its code
        listed = known().get(value)
        return agency_name(ctx, value, listed.name) if listed is not None else value
    return value


def last_changes(entries: list[ChangeView], last: int) -> list[ChangeView]:
    """The entries of the last ``last`` changes: the fields written together (a registration,
    an update of several fields: the same actor and action within a moment) are one change,
    shown whole."""
    kept: list[ChangeView] = []
    changes = 0
    for entry in reversed(entries):
        previous = kept[-1] if kept else None
        if (
            previous is None
            or (entry.actor, entry.action) != (previous.actor, previous.action)
            or abs(previous.at - entry.at) > _ONE_CHANGE
        ):
            changes += 1
            if changes > last:
                break
        kept.append(entry)
    return kept[::-1]


def history_lines(ctx: Context[Any], entries: list[ChangeView], *, last: int = 5) -> str:
    lines = []
    for entry in last_changes(entries, last):
        field = ctx.say(f"field.{entry.field}") if entry.field else ""
        lines.append(
            ctx.say(
                "bot.card.change",
                at=shown(entry.at),
                action=ctx.say(f"action.{entry.action}"),
                field=field,
                old=_value(ctx, entry.field, entry.old_value),
                new=_value(ctx, entry.field, entry.new_value),
                actor=entry.actor,
            )
        )
    return "\n".join(lines)


def find_page(ctx: Context[Any], query: str, result: FindResult) -> str:
    if not result.items:
        return ctx.say("bot.find.none", query=query)
    header = ctx.say(
        "bot.find.header",
        query=query,
        first=result.offset + 1,
        last=result.offset + len(result.items),
    )
    return "\n".join([header, *(person_line(ctx, p) for p in result.items)])


def agency_people(ctx: Context[Any], agency: AgencyView, people: list[PersonView]) -> str:
    name = agency_name(ctx, agency.code, agency.name)
    if not people:
        return ctx.say("bot.agency.empty", agency=name)
    lines = [ctx.say("bot.agency.header", agency=name, count=len(people))]
    lines += [person_line(ctx, p) for p in people]
    return "\n".join(lines)


def missing_list(ctx: Context[Any], agencies: list[AgencyView]) -> str:
    if not agencies:
        return ctx.say("bot.missing.none")
    lines = [ctx.say("bot.missing.header", count=len(agencies))]
    kind = None
    for agency in agencies:
        if agency.kind != kind:
            kind = agency.kind
            count = sum(1 for a in agencies if a.kind == kind)
            lines.append(ctx.say("bot.missing.kind", kind=ctx.say(f"kind.{kind}"), count=count))
        lines.append(f"• {agency_name(ctx, agency.code, agency.name)}")
    return "\n".join(lines)


def statistics(ctx: Context[Any], stats: Statistics) -> str:
    lines = [ctx.say("bot.stats.agencies")]
    for count in stats.agencies:
        lines.append(
            ctx.say(
                "bot.stats.kind",
                kind=ctx.say(f"kind.{count.kind}"),
                answered=count.answered,
                total=count.total,
            )
        )
    lines.append(
        ctx.say(
            "bot.stats_total.agencies",
            answered=sum(c.answered for c in stats.agencies),
            total=sum(c.total for c in stats.agencies),
        )
    )
    lines.append(ctx.say("bot.stats.people", count=stats.people))
    lines += [
        ctx.say("bot.stats.item", name=ctx.say(f"role.{role}"), count=n)
        for role, n in stats.by_role.items()
    ]
    lines += [
        ctx.say("bot.stats.item", name=ctx.say(f"status.{status}"), count=n)
        for status, n in stats.by_status.items()
    ]
    return "\n".join(lines)


def notices(ctx: Context[Any], items: list[Notice]) -> list[str]:
    return [
        ctx.say(
            f"notice.{n.code}",
            **{k: (ctx.say(f"field.{v}") if k == "field" else v) for k, v in n.params.items()},
        )
        for n in items
    ]
