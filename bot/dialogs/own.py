"""A member's own record: /me, /update (/capnhat) and /withdraw.

Staff and focal points also use /update ID for a record they manage; the registry decides.
"""

from __future__ import annotations

from bot.dialogs import cards
from bot.dialogs.context import Context
from bot.dialogs.io import Option
from registry import people
from registry.errors import Conflict, RegistryError, ValidationError
from registry.models import Role

MEMBER_FIELDS = ("full_name", "position", "role", "mobile", "office_phone", "email")


def _target(ctx: Context, args: str) -> int | None:
    """The record meant: ``/update 12`` names one, otherwise one's own."""
    text = args.strip().lstrip("#")
    if text:
        if not text.isdigit() or len(text) > 9:
            raise ValidationError("bot.bad_id", text=text[:20])
        return int(text)
    return ctx.actor.person_id


async def show(ctx: Context, args: str) -> None:
    person_id = ctx.actor.person_id
    if person_id is None:
        ctx.tell("bot.me.none")
        return
    person = await people.show_person(ctx.uow(), ctx.actor, person_id)
    history = await people.person_history(ctx.uow(), ctx.actor, person_id)
    ctx.send(cards.person_card(ctx, person))
    ctx.send(ctx.say("bot.me.history") + "\n" + cards.history_lines(ctx, history))


async def begin_update(ctx: Context, args: str) -> None:
    person_id = _target(ctx, args)
    if person_id is None:
        ctx.tell("bot.me.none")
        return
    person = await people.show_person(ctx.uow(), ctx.actor, person_id)
    if person.status == "retired":
        ctx.fail(ValidationError("person.retired", person_id=person.id))
        return
    ctx.go("update", "field")
    ctx.data.update(person_id=person.id, version=person.version)
    ctx.send(cards.person_card(ctx, person))
    _ask_field(ctx)


def _fields(ctx: Context) -> tuple[str, ...]:
    # Moving a record to another agency is for staff; people keep to their own agency.
    return (*MEMBER_FIELDS, "agency") if ctx.actor.is_staff else MEMBER_FIELDS


def _ask_field(ctx: Context) -> None:
    ctx.state.step = "field"
    ctx.ask(
        ctx.say("bot.update.which_field"), [Option(f, ctx.say(f"field.{f}")) for f in _fields(ctx)]
    )


async def resume_update(ctx: Context) -> None:
    step = ctx.state.step
    if step == "field":
        field = ctx.chosen()
        if field is None or field not in _fields(ctx):
            ctx.tell("bot.choose_option")
            _ask_field(ctx)
            return
        ctx.data["field"] = field
        ctx.state.step = "value"
        await _ask_value(ctx, field)
    elif step == "value":
        await _on_value(ctx)
    elif step == "confirm":
        await _on_confirm(ctx)


async def _ask_value(ctx: Context, field: str) -> None:
    if field == "role":
        ctx.ask(
            ctx.say("bot.update.new_value", field=ctx.say(f"field.{field}")),
            [Option(r.value, ctx.say(f"role.{r.value}")) for r in Role],
        )
        return
    ctx.ask(
        ctx.say("bot.update.new_value", field=ctx.say(f"field.{field}")),
        contact=field == "mobile" and ctx.actor.person_id == ctx.data.get("person_id"),
    )


async def _on_value(ctx: Context) -> None:
    field = ctx.data["field"]
    incoming = ctx.incoming
    if field == "role" and ctx.chosen():
        value = ctx.chosen() or ""
    elif incoming.kind == "contact" and field == "mobile":
        if not incoming.contact_is_own:
            ctx.tell("bot.register.contact_not_own")
            await _ask_value(ctx, field)
            return
        value = incoming.contact_phone or ""
    elif incoming.kind == "text":
        value = incoming.text
    else:
        ctx.tell("bot.type_answer")
        await _ask_value(ctx, field)
        return
    if field != "agency":
        try:
            people.parse_field(field, value)
        except RegistryError as error:
            ctx.fail(error)
            await _ask_value(ctx, field)
            return
    ctx.data["value"] = value
    ctx.state.step = "confirm"
    shown = value.strip()[:200]
    key = "bot.update.confirm" if shown else "bot.update.confirm_clear"
    ctx.ask_yes_no(ctx.say(key, field=ctx.say(f"field.{field}"), value=shown))


async def _on_confirm(ctx: Context) -> None:
    if not ctx.confirmed():
        return
    data = ctx.data
    try:
        result = await people.update_field(
            ctx.uow(),
            ctx.actor,
            int(data["person_id"]),
            data["field"],
            data["value"],
            expected_version=int(data["version"]),
        )
    except Conflict as conflict:
        ctx.end()
        ctx.fail(conflict)
        return
    except RegistryError as error:
        ctx.fail(error)
        ctx.state.step = "value"
        await _ask_value(ctx, data["field"])
        return
    ctx.end()
    ctx.tell("bot.update.done", field=ctx.say(f"field.{data['field']}"))
    for line in cards.notices(ctx, result.notices):
        ctx.send(line)
    ctx.send(cards.person_card(ctx, result.person))


async def begin_withdraw(ctx: Context, args: str) -> None:
    person_id = ctx.actor.person_id
    if person_id is None:
        ctx.tell("bot.me.none")
        return
    person = await people.show_person(ctx.uow(), ctx.actor, person_id)
    if person.status == "retired":
        ctx.tell("bot.withdraw.already")
        return
    ctx.go("withdraw", "confirm")
    ctx.data.update(person_id=person.id, version=person.version)
    ctx.ask_yes_no(
        ctx.say("bot.withdraw.confirm", name=person.full_name), yes=ctx.say("bot.withdraw.yes")
    )


async def resume_withdraw(ctx: Context) -> None:
    if not ctx.confirmed():
        return
    person_id = int(ctx.data["person_id"])
    version = int(ctx.data["version"])
    ctx.end()
    await people.retire_person(ctx.uow(), ctx.actor, person_id, expected_version=version)
    ctx.tell("bot.withdraw.done")
