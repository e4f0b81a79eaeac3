"""A member's own record: /me, /update (/capnhat) and /withdraw.

A withdrawal retires the record and unlinks the chat from it: the person may register again as
someone new (/update then says to register), and /erase removes the old data for good.

Staff and focal points also use /update ID for a record they manage; the registry decides. The
new value is checked when it is typed, and the draft keeps it normalised (an E.164 phone, the
normalised email) for the confirmation and the write.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from bot.dialogs import cards, fields, register, taken
from bot.dialogs.context import Context
from bot.dialogs.flow import Command, Dialog, Flow
from bot.dialogs.io import Option
from registry import people, published
from registry.errors import Conflict, Duplicate, RegistryError, ValidationError
from registry.models import PersonField


class UpdateStep(enum.StrEnum):
    field = "field"
    value = "value"
    confirm = "confirm"
    publish = "publish"


class WithdrawStep(enum.StrEnum):
    confirm = "confirm"


@dataclass
class UpdateDraft:
    person_id: int = 0
    version: int = 0  # the record as shown; changed meanwhile, the update is refused
    field: str | None = None
    value: str | None = None  # normalised as stored ("" to clear the field)
    shown: str = ""  # the new value as the person reads it


@dataclass
class WithdrawDraft:
    person_id: int = 0
    version: int = 0


def _target(ctx: Context[Any], args: str) -> int | None:
    """The record meant: ``/update 12`` names one, otherwise one's own."""
    text = args.strip().lstrip("#")
    if text:
        if not text.isdigit() or len(text) > 9:
            raise ValidationError("bot.bad_id", text=text[:20])
        return int(text)
    return ctx.actor.person_id


def for_others(ctx: Context[Any], args: str) -> bool:
    """``/update 12`` about a record that is not one's own (a focal point or staff at work)."""
    text = args.strip().lstrip("#")
    return text.isdigit() and len(text) <= 9 and int(text) != ctx.actor.person_id


async def show(ctx: Context[Any], args: str) -> None:
    person_id = ctx.actor.person_id
    if person_id is None:
        ctx.tell("bot.me.none")
        return
    person = await people.show_person(ctx.uow(), ctx.actor, person_id)
    history = await people.person_history(ctx.uow(), ctx.actor, person_id)
    ctx.send(cards.person_card(ctx, person))
    ctx.send(ctx.say("bot.me.history") + "\n" + cards.history_lines(ctx, history))


# --- /update ----------------------------------------------------------------------------------


async def begin_update(ctx: Context[UpdateDraft], args: str) -> None:
    person_id = _target(ctx, args)
    if person_id is None:
        ctx.tell("bot.me.none")
        return
    person = await people.show_person(ctx.uow(), ctx.actor, person_id)
    if person.status == "retired":
        ctx.fail(ValidationError("person.retired", person_id=person.id))
        return
    ctx.start(UPDATE, UpdateStep.field, UpdateDraft(person.id, person.version))
    ctx.send(cards.person_card(ctx, person))
    _ask_field(ctx)


def _fields(ctx: Context[UpdateDraft]) -> tuple[PersonField, ...]:
    # Moving a record to another agency is for staff; people keep to their own agency.
    own = PersonField.own()
    return (*own, PersonField.agency) if ctx.actor.is_staff else own


PUBLISH = "publish_mobile"


def _asks_publish(ctx: Context[UpdateDraft]) -> bool:
    """One's own record, with a published directory: whether to show one's mobile in it."""
    return bool(ctx.settings.public_directory and ctx.actor.person_id == ctx.draft.person_id)


def _ask_field(ctx: Context[UpdateDraft]) -> None:
    ctx.goto(UpdateStep.field)
    options = [Option(f.value, ctx.say(f"field.{f.value}")) for f in _fields(ctx)]
    if _asks_publish(ctx):
        options.append(Option(PUBLISH, ctx.say("bot.publish_mobile.field")))
    ctx.ask(ctx.say("bot.update.which_field"), options)


async def on_field(ctx: Context[UpdateDraft]) -> None:
    chosen = ctx.chosen()
    if chosen == PUBLISH and _asks_publish(ctx):
        ctx.goto(UpdateStep.publish)
        ctx.ask(ctx.say("bot.publish_mobile.ask"), register.publish_options(ctx))
        return
    if chosen is None or chosen not in {f.value for f in _fields(ctx)}:
        ctx.tell("bot.choose_option")
        _ask_field(ctx)
        return
    ctx.draft.field = chosen
    _ask_value(ctx)


def _ask_value(ctx: Context[UpdateDraft]) -> None:
    field_ = PersonField(ctx.draft.field)
    ctx.goto(UpdateStep.value)
    question = ctx.say("bot.update.new_value", field=ctx.say(f"field.{field_.value}"))
    if field_ is PersonField.role:
        ctx.ask(question, fields.role_options(ctx))
        return
    own_mobile = field_ is PersonField.mobile and ctx.actor.person_id == ctx.draft.person_id
    ctx.ask(question, contact=own_mobile)


async def on_value(ctx: Context[UpdateDraft]) -> None:
    field_ = PersonField(ctx.draft.field)
    typed = fields.typed_value(ctx, field_, lambda: _ask_value(ctx))
    if typed is None:
        return
    if field_ is PersonField.agency:
        # Which agency is meant is for the registry to resolve when the change is made.
        value, shown = typed.strip(), typed.strip()[:200]
    else:
        try:
            parsed = people.parse_field(field_, typed)
        except RegistryError as error:
            ctx.fail(error)
            _ask_value(ctx)
            return
        value = fields.stored_text(field_, parsed.columns)
        shown = fields.shown(ctx, field_, parsed.columns)
        # Said now (an old mobile converted): the person confirms the number that will be kept.
        for line in cards.notices(ctx, parsed.notices):
            ctx.send(line)
    ctx.draft.value, ctx.draft.shown = value, shown
    ctx.goto(UpdateStep.confirm)
    key = "bot.update.confirm" if shown else "bot.update.confirm_clear"
    ctx.ask_yes_no(ctx.say(key, field=ctx.say(f"field.{field_.value}"), value=shown))


async def on_confirm(ctx: Context[UpdateDraft]) -> None:
    if not ctx.confirmed():
        return
    draft = ctx.draft
    try:
        result = await people.update_field(
            ctx.uow(),
            ctx.actor,
            draft.person_id,
            draft.field or "",
            draft.value,
            expected_version=draft.version,
        )
    except Conflict as conflict:
        ctx.end()
        ctx.fail(conflict)
        return
    except Duplicate as duplicate:
        if duplicate.code != "person.duplicate_mobile":
            raise
        await taken.mobile_taken(ctx, duplicate, draft.value)
        _ask_value(ctx)
        return
    except RegistryError as error:
        ctx.fail(error)
        _ask_value(ctx)
        return
    field_ = draft.field
    ctx.end()
    ctx.tell("bot.update.done", field=ctx.say(f"field.{field_}"))
    for line in cards.notices(ctx, result.notices):
        ctx.send(line)
    ctx.send(cards.person_card(ctx, result.person))


async def on_publish(ctx: Context[UpdateDraft]) -> None:
    chosen = ctx.chosen()
    if chosen not in ("yes", "no"):
        ctx.ask_again()
        return
    await published.set_publish_mobile(ctx.uow(), ctx.actor, ctx.draft.person_id, chosen == "yes")
    ctx.end()
    ctx.tell(f"bot.publish_mobile.done_{chosen}")


# --- /withdraw --------------------------------------------------------------------------------


async def begin_withdraw(ctx: Context[WithdrawDraft], args: str) -> None:
    person_id = ctx.actor.person_id
    if person_id is None:
        ctx.tell("bot.me.none")
        return
    person = await people.show_person(ctx.uow(), ctx.actor, person_id)
    if person.status == "retired":
        ctx.tell("bot.withdraw.already")
        return
    ctx.start(WITHDRAW, WithdrawStep.confirm, WithdrawDraft(person.id, person.version))
    ctx.ask_yes_no(
        ctx.say("bot.withdraw.confirm", name=person.full_name), yes=ctx.say("bot.withdraw.yes")
    )


async def on_withdraw(ctx: Context[WithdrawDraft]) -> None:
    if not ctx.confirmed():
        return
    draft = ctx.draft
    ctx.end()
    await people.retire_person(
        ctx.uow(), ctx.actor, draft.person_id, expected_version=draft.version
    )
    ctx.tell("bot.withdraw.done")
    ctx.tell("bot.rights.after_withdraw")


UPDATE = Flow(
    "update",
    UpdateStep,
    {
        UpdateStep.field: on_field,
        UpdateStep.value: on_value,
        UpdateStep.confirm: on_confirm,
        UpdateStep.publish: on_publish,
    },
    UpdateDraft,
)
WITHDRAW = Flow("withdraw", WithdrawStep, {WithdrawStep.confirm: on_withdraw}, WithdrawDraft)
DIALOG = Dialog(
    commands=(
        Command("me", show, needs_consent=True),
        Command(
            "update",
            begin_update,
            aliases=("capnhat",),
            needs_consent=True,
            for_others=for_others,
        ),
        Command("withdraw", begin_withdraw, needs_consent=True),
    ),
    flows=(UPDATE, WITHDRAW),
)
