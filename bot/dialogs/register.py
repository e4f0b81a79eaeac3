"""/register (/dangky): agency, name, position, role, mobile, office phone, email, confirm.

Every answer is checked with the registry's own validation as it comes, and a wrong answer gets
what to fix and the same question again. The draft keeps the normalised values (E.164 phones,
the normalised email, the agency code), so the summary shows and the registration writes what
was checked, without reading the typed text again. Nothing is written before the person
confirms.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from bot.dialogs import cards, claims, fields, invite, taken
from bot.dialogs.agency_picker import offer_agencies, offered
from bot.dialogs.context import Context
from bot.dialogs.flow import Command, Dialog, Flow
from bot.dialogs.io import Option
from registry import accounts, catalog, invitations, people
from registry.actors import manages_agency
from registry.errors import Duplicate, RegistryError, ValidationError
from registry.invitations import InvitationRefused
from registry.models import AccountRole, InvitationPurpose, PersonField, Role

# What a person is asked, in this order, after the agency.
FIELDS: tuple[PersonField, ...] = PersonField.own()
# The registry allows a record without these (an imported list may lack them); a person
# registering gives them. Only the office phone may be skipped.
REQUIRED = {
    PersonField.position: "text.empty",
    PersonField.mobile: "phone.empty",
    PersonField.email: "email.empty",
}


# The steps: the agency, then one per field in PersonField's order, then the summary (where a
# field can be picked to edit) and the offer to update a record that turned out to exist.
Step = enum.StrEnum(  # type: ignore[misc]
    "Step",
    [(f.name, f.value) for f in (PersonField.agency, *FIELDS)]
    + [
        ("publish_mobile", "publish_mobile"),
        ("summary", "summary"),
        ("edit", "edit"),
        ("duplicate", "duplicate"),
    ],
)


@dataclass
class Draft:
    """The answers so far, normalised as the registry stores them."""

    for_self: bool = True  # a member registering themselves (else a focal point or staff)
    agency_code: str | None = None
    agency_id: int | None = None
    agency_name: str | None = None
    # The agencies offered for the last search: [id, code] (the labels are in the question).
    agency_options: list[list[str]] = field(default_factory=list)
    full_name: str | None = None
    position: str | None = None
    role: str | None = None
    mobile: str | None = None  # E.164
    mobile_verified: bool = False  # shared from the person's own Telegram account
    office_phone: str | None = None  # E.164
    office_ext: str | None = None
    email: str | None = None
    answered: list[str] = field(default_factory=list)  # fields answered (a skip counts)
    editing: bool = False  # back to the summary after the next answer
    existing_id: int | None = None  # the record this one turned out to duplicate
    invitation: str | None = None  # the token of the invitation this registration uses
    # Whether to show the mobile in the published directory: asked of a person registering
    # themselves when the directory is published; None when not asked (which means no).
    publish_mobile: bool | None = None


# --- begin, and the agency -------------------------------------------------------------------


async def begin(ctx: Context[Draft], args: str) -> None:
    invited = await invite.pending(ctx)
    if invited is not None and invited[0].purpose == InvitationPurpose.focal.value:
        view, token = invited
        actor = ctx.actor
        if actor.role is not AccountRole.focal or actor.agency_id != view.agency.id:
            invite.offer_focal(ctx, view, token)
            return
        ctx.start_payload = None  # already this agency's focal point: nothing to accept
        invited = None
    draft = Draft(for_self=not ctx.actor.is_staff and ctx.actor.agency_id is None)
    if ctx.actor.person_id is not None and draft.for_self:
        ctx.start_payload = None  # an invitation is for registering, and this one is
        ctx.tell("bot.register.already", person_id=ctx.actor.person_id)
        return
    ctx.start(FLOW, Step.agency, draft)
    if invited is not None:
        # An invitation to the agency's spokespeople: the agency is the invitation's.
        view, draft.invitation = invited
        name = cards.agency_name(ctx, view.agency.code, view.agency.name)
        _set_agency(draft, view.agency.id, view.agency.code, name)
        ctx.tell("bot.invite.for_agency", agency=name)
        _ask(ctx, Step.full_name)
        return
    if ctx.actor.agency_id is not None and not ctx.actor.is_staff:
        # A focal point registers people of its own agency.
        agency = await catalog.get_agency(ctx.uow(), ctx.actor.agency_id)
        name = cards.agency_name(ctx, agency.code, agency.name)
        _set_agency(draft, agency.id, agency.code, name)
        ctx.tell("bot.register.for_agency", agency=name)
        _ask(ctx, Step.full_name)
        return
    if args.strip():
        await _search_agency(ctx, args)
        return
    ctx.ask(ctx.say("bot.register.ask_agency"))


def for_others(ctx: Context[Any], args: str) -> bool:
    """A focal point or staff registers other people, not themself."""
    return ctx.actor.is_staff or ctx.actor.agency_id is not None


async def on_agency(ctx: Context[Draft]) -> None:
    key = ctx.chosen()
    if key is not None:
        picked = offered(ctx.draft, key)
        name = next((o.label for o in ctx.asked.options if o.key == key), "") if ctx.asked else ""
        if picked is None:
            ctx.ask_again()
            return
        _set_agency(ctx.draft, picked[0], picked[1], name)
        _next(ctx, Step.agency)
        return
    if ctx.answer.text is None:
        ctx.tell("bot.register.ask_agency")
        return
    await _search_agency(ctx, ctx.answer.text)


async def _search_agency(ctx: Context[Draft], text: str) -> None:
    await offer_agencies(
        ctx,
        text,
        ask=ctx.say("bot.register.ask_agency"),
        not_found="bot.register.agency_not_found",
        pick="bot.register.pick_agency",
    )


def _set_agency(draft: Draft, agency_id: int, code: str, name: str) -> None:
    draft.agency_id, draft.agency_code, draft.agency_name = agency_id, code, name
    draft.agency_options = []


# --- the fields -------------------------------------------------------------------------------


def _ask(ctx: Context[Draft], step: Step) -> None:
    ctx.goto(step)
    if step is Step.agency:
        ctx.ask(ctx.say("bot.register.ask_agency"))
    elif step is Step.role:
        ctx.ask(ctx.say("bot.register.ask_role"), fields.role_options(ctx))
    elif step is Step.mobile:
        own = ctx.draft.for_self
        ctx.ask(
            ctx.say("bot.register.ask_mobile_own" if own else "bot.register.ask_mobile"),
            contact=own,
        )
    elif step is Step.office_phone:
        skip = Option(fields.SKIP, ctx.say("bot.register.skip"))
        ctx.ask(ctx.say("bot.register.ask_office_phone"), [skip])
    else:
        ctx.ask(ctx.say(f"bot.register.ask_{step.value}"))


async def on_field(ctx: Context[Draft]) -> None:
    assert ctx.step is not None
    field_ = PersonField(ctx.step.value)
    value = fields.typed_value(ctx, field_, lambda: _ask(ctx, Step(field_.value)))
    if value is None:
        return
    try:
        parsed = people.parse_field(field_, value)
        if field_ in REQUIRED and not parsed.columns[field_]:
            raise ValidationError(REQUIRED[field_], field=field_.value)
    except RegistryError as error:
        ctx.fail(error)
        _ask(ctx, Step(field_.value))
        return
    for line in cards.notices(ctx, parsed.notices):
        ctx.send(line)
    draft = ctx.draft
    for column, normalised in parsed.columns.items():
        if hasattr(draft, column):
            setattr(draft, column, normalised.value if isinstance(normalised, Role) else normalised)
    if field_ is PersonField.mobile:
        draft.mobile_verified = ctx.answer.phone is not None
    if field_.value not in draft.answered:
        draft.answered.append(field_.value)
    if field_ is PersonField.mobile and _asks_publish(ctx):
        _ask_publish(ctx)
        return
    _next(ctx, Step(field_.value))


# --- publishing the mobile (asked only when the directory is published) ----------------------


def _asks_publish(ctx: Context[Draft]) -> bool:
    """Only the person themself answers for their own mobile, and only when a published
    directory exists to show it in."""
    return bool(ctx.settings.public_directory and ctx.draft.for_self and ctx.draft.mobile)


def publish_options(ctx: Context[Any]) -> list[Option]:
    """No first: it is the default."""
    return [
        Option("no", ctx.say("bot.publish_mobile.no")),
        Option("yes", ctx.say("bot.publish_mobile.yes")),
    ]


def _ask_publish(ctx: Context[Draft]) -> None:
    ctx.goto(Step.publish_mobile)
    ctx.ask(ctx.say("bot.publish_mobile.ask"), publish_options(ctx))


async def on_publish(ctx: Context[Draft]) -> None:
    chosen = ctx.chosen()
    if chosen not in ("yes", "no"):
        ctx.ask_again()
        return
    ctx.draft.publish_mobile = chosen == "yes"
    _next(ctx, Step.mobile)


def _next(ctx: Context[Draft], after: Step) -> None:
    draft = ctx.draft
    if draft.editing:
        draft.editing = False
        _summary(ctx)
        return
    order = [Step.agency, *(Step(f.value) for f in FIELDS)]
    for step in order[order.index(after) + 1 :]:
        if step.value not in draft.answered:
            _ask(ctx, step)
            return
    _summary(ctx)


# --- summary, edit, confirm -------------------------------------------------------------------


def _summary(ctx: Context[Draft]) -> None:
    ctx.goto(Step.summary)
    lines = [ctx.say("bot.register.summary")]
    lines.append(ctx.say("bot.card.agency", value=ctx.draft.agency_name))
    for field_ in FIELDS:
        value = fields.shown(ctx, field_, vars(ctx.draft)) or "—"
        lines.append(ctx.say(f"bot.card.{field_.value}", value=value))
        if field_ is PersonField.mobile and ctx.draft.publish_mobile is not None:
            lines.append(f"{ctx.say('bot.publish_mobile.field')}: {_yes_no(ctx)}")
    ctx.ask(
        "\n".join(lines),
        [
            Option("ok", ctx.say("bot.register.confirm")),
            Option("edit", ctx.say("bot.register.edit")),
            Option("cancel", ctx.say("bot.register.cancel")),
        ],
    )


def _yes_no(ctx: Context[Draft]) -> str:
    answer = "yes" if ctx.draft.publish_mobile else "no"
    return ctx.say(f"bot.publish_mobile.shown_{answer}")


def _editable(ctx: Context[Draft]) -> tuple[PersonField, ...]:
    if ctx.draft.invitation:
        return FIELDS  # the agency is the invitation's
    # A focal point registers for its own agency only.
    own_agency_only = ctx.actor.agency_id is not None and not ctx.actor.is_staff
    return FIELDS if own_agency_only else (PersonField.agency, *FIELDS)


async def on_summary(ctx: Context[Draft]) -> None:
    answer = ctx.chosen()
    if answer == "ok":
        await _register(ctx)
    elif answer == "edit":
        ctx.goto(Step.edit)
        ctx.ask(
            ctx.say("bot.register.which_field"),
            [Option(f.value, ctx.say(f"field.{f.value}")) for f in _editable(ctx)],
        )
    elif answer == "cancel":
        ctx.end()
        ctx.tell("bot.cancelled")
    else:
        ctx.tell("bot.choose_option")
        _summary(ctx)


async def on_edit(ctx: Context[Draft]) -> None:
    chosen = ctx.chosen()
    if chosen is None or chosen not in {f.value for f in _editable(ctx)}:
        ctx.tell("bot.choose_option")
        _summary(ctx)
        return
    ctx.draft.editing = True
    _ask(ctx, Step(chosen))


def step_back(ctx: Context[Any]) -> bool:
    """ "hủy" while one answer is being changed drops that change only: the summary again, with
    every other answer kept. At the summary or during the first pass it cancels as usual."""
    draft: Draft = ctx.draft
    if ctx.step is Step.edit or (draft.editing and ctx.step not in (Step.summary, Step.duplicate)):
        draft.editing = False
        ctx.tell("bot.register_edit.dropped")
        _summary(ctx)
        return True
    return False


async def _register(ctx: Context[Draft]) -> None:
    draft = ctx.draft
    try:
        # The invitation's use and the registration are kept together or not at all.
        async with ctx.uow() as unit:
            if draft.invitation:
                await invitations.use_for_registration(
                    unit,
                    ctx.actor,
                    invitations.secret_key(ctx.settings),
                    draft.invitation,
                    int(draft.agency_id or 0),
                )
            result = await people.register_person(
                unit,
                ctx.actor,
                agency=draft.agency_code or "",
                full_name=draft.full_name or "",
                role=draft.role or "",
                position=draft.position,
                mobile=draft.mobile,
                office_phone=fields.office_phone_text(draft.office_phone, draft.office_ext),
                email=draft.email,
                source="chat",
                publish_mobile=draft.publish_mobile if _asks_publish(ctx) else None,
            )
            await unit.commit()
    except InvitationRefused as refused:
        ctx.end()
        ctx.start_payload = None
        ctx.fail(refused)
        return
    except Duplicate as duplicate:
        await _offer_instead(ctx, duplicate)
        return
    except ValidationError as error:
        ctx.fail(error)
        step = Step.__members__.get(str(error.params.get("field")))
        if step is None or step in (Step.summary, Step.edit, Step.duplicate):
            _summary(ctx)
            return
        if step.value in draft.answered:
            draft.answered.remove(step.value)
        draft.editing = True
        _ask(ctx, step)
        return
    ctx.end()
    if draft.invitation:
        ctx.start_payload = None
    person = result.person
    key = "bot.register.done_pending" if person.status == "pending" else "bot.register.done"
    # Notices (a converted phone) were shown when the answer was given.
    ctx.tell(key, person_id=person.id, name=person.full_name, agency=person.agency_name)


async def _offer_instead(ctx: Context[Draft], duplicate: Duplicate) -> None:
    draft = ctx.draft
    existing_id = int(duplicate.params["person_id"])
    if duplicate.code == "person.duplicate_mobile":
        await taken.mobile_taken(ctx, duplicate, draft.mobile)
        if PersonField.mobile.value in draft.answered:
            draft.answered.remove(PersonField.mobile.value)
        draft.editing = True
        _ask(ctx, Step.mobile)
        return
    draft.existing_id = existing_id
    name = duplicate.params.get("name", "")
    if manages_agency(ctx.actor, int(draft.agency_id or 0)):
        ctx.goto(Step.duplicate)
        ctx.ask(
            ctx.say("bot.register.duplicate_update", name=name, person_id=existing_id),
            [Option("update", ctx.say("bot.yes")), Option("no", ctx.say("bot.no"))],
        )
        return
    if draft.mobile_verified:
        ctx.goto(Step.duplicate)
        ctx.ask(
            ctx.say("bot.register.duplicate_claim", name=name, person_id=existing_id),
            [Option("claim", ctx.say("bot.yes")), Option("no", ctx.say("bot.no"))],
        )
        return
    # Same name and mobile: a claim for the focal point or staff to confirm, on every channel.
    if (
        draft.for_self
        and draft.mobile
        and await claims.file_from_register(
            ctx, existing_id, full_name=draft.full_name or "", mobile=draft.mobile
        )
    ):
        return
    ctx.end()
    # Only Telegram has the button that proves a number is one's own.
    key = "bot.register.duplicate_ask_focal" if ctx.channel == "telegram" else "bot.claims.no_match"
    ctx.tell(key, name=name, person_id=existing_id)


async def on_duplicate(ctx: Context[Draft]) -> None:
    answer = ctx.chosen()
    existing_id = int(ctx.draft.existing_id or 0)
    if answer == "claim":
        await people.claim_person(
            ctx.uow(), ctx.actor, existing_id, verified_mobile=ctx.draft.mobile or ""
        )
        # The account is now that person: apply what they typed as their own update.
        ctx.profile = await accounts.open_profile(ctx.uow(), ctx.channel, ctx.user_id)
        await _apply_as_update(ctx, existing_id)
    elif answer == "update":
        await _apply_as_update(ctx, existing_id)
    elif answer == "no":
        ctx.end()
        ctx.tell("bot.cancelled")
    else:
        ctx.ask_again()


async def _apply_as_update(ctx: Context[Draft], person_id: int) -> None:
    changed: list[str] = []
    for field_ in FIELDS:
        value = fields.stored_text(field_, vars(ctx.draft))
        if field_ is PersonField.office_phone and not value:
            continue
        result = await people.update_field(ctx.uow(), ctx.actor, person_id, field_, value)
        if not any(n.code == "person.unchanged" for n in result.notices):
            changed.append(ctx.say(f"field.{field_.value}"))
    person = await people.show_person(ctx.uow(), ctx.actor, person_id)
    ctx.end()
    ctx.tell("bot.register.updated_instead", person_id=person_id, fields=", ".join(changed) or "—")
    ctx.send(cards.person_card(ctx, person))


FLOW = Flow(
    "register",
    Step,
    {
        Step.agency: on_agency,
        **{Step(f.value): on_field for f in FIELDS},
        Step.publish_mobile: on_publish,
        Step.summary: on_summary,
        Step.edit: on_edit,
        Step.duplicate: on_duplicate,
    },
    Draft,
    step_back,
)
DIALOG = Dialog(
    commands=(
        Command("register", begin, aliases=("dangky",), needs_consent=True, for_others=for_others),
    ),
    flows=(FLOW,),
)
