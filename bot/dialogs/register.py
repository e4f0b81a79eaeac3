"""/register (/dangky): agency, name, position, role, mobile, office phone, email, confirm.

Every answer is checked with the registry's own validation as it comes, and a wrong answer gets
what to fix and the same question again. Nothing is written before the person confirms.
"""

from __future__ import annotations

from bot.dialogs import cards
from bot.dialogs.context import Context
from bot.dialogs.io import Option
from registry import accounts, catalog, people
from registry.actors import manages_agency
from registry.errors import Duplicate, RegistryError, ValidationError
from registry.models import Role
from registry.validation import format_phone, parse_mobile

FIELDS = ("full_name", "position", "role", "mobile", "office_phone", "email")
REQUIRED = {"position": "text.empty", "mobile": "phone.empty", "email": "email.empty"}
MAX_AGENCY_QUERY = 200


async def begin(ctx: Context, args: str) -> None:
    ctx.end()
    ctx.go("register", "agency")
    # A member registers themselves; a focal point registers people of its own agency.
    ctx.data["self"] = not ctx.actor.is_staff and ctx.actor.agency_id is None
    if ctx.actor.person_id is not None and ctx.data["self"]:
        ctx.end()
        ctx.tell("bot.register.already", person_id=ctx.actor.person_id)
        return
    if ctx.actor.agency_id is not None and not ctx.actor.is_staff:
        agency = await catalog.get_agency(ctx.uow(), ctx.actor.agency_id)
        _set_agency(ctx, agency.id, agency.code, agency.name)
        ctx.tell("bot.register.for_agency", agency=agency.name)
        await _ask(ctx, "full_name")
        return
    if args.strip():
        await _search_agency(ctx, args)
        return
    ctx.ask(ctx.say("bot.register.ask_agency"))


async def resume(ctx: Context) -> None:
    step = ctx.state.step or ""
    if step == "agency":
        await _on_agency(ctx)
    elif step in FIELDS:
        await _on_field(ctx, step)
    elif step == "summary":
        await _on_summary(ctx)
    elif step == "edit":
        await _on_edit(ctx)
    elif step == "duplicate":
        await _on_duplicate(ctx)
    else:
        ctx.end()
        ctx.tell("bot.not_understood")


# --- agency -------------------------------------------------------------------------------


async def _on_agency(ctx: Context) -> None:
    key = ctx.chosen()
    if key is not None:
        options = {o["id"]: o for o in ctx.data.get("agency_options", [])}
        picked = options.get(key)
        if picked is None:
            ctx.ask_again()
            return
        _set_agency(ctx, int(picked["id"]), picked["code"], picked["name"])
        await _next(ctx, "agency")
        return
    if ctx.incoming.kind != "text":
        ctx.tell("bot.register.ask_agency")
        return
    await _search_agency(ctx, ctx.incoming.text)


async def _search_agency(ctx: Context, text: str) -> None:
    query = text.strip()
    if len(query) > MAX_AGENCY_QUERY:
        ctx.fail(ValidationError("text.too_long", field="agency", max=MAX_AGENCY_QUERY))
        ctx.ask(ctx.say("bot.register.ask_agency"))
        return
    try:
        found = await catalog.search_agencies(ctx.uow(), query, limit=8)
    except RegistryError as error:
        ctx.fail(error)
        ctx.ask(ctx.say("bot.register.ask_agency"))
        return
    if not found:
        ctx.tell("bot.register.agency_not_found", query=query[:60])
        ctx.ask(ctx.say("bot.register.ask_agency"))
        return
    ctx.data["agency_options"] = [{"id": str(a.id), "code": a.code, "name": a.name} for a in found]
    ctx.ask(
        ctx.say("bot.register.pick_agency", count=len(found)),
        [Option(str(a.id), a.name) for a in found],
    )


def _set_agency(ctx: Context, agency_id: int, code: str, name: str) -> None:
    ctx.data.update(agency_id=agency_id, agency_code=code, agency_name=name)
    ctx.data.pop("agency_options", None)


# --- the fields ---------------------------------------------------------------------------


async def _ask(ctx: Context, field: str) -> None:
    ctx.state.step = field
    if field == "role":
        ctx.ask(
            ctx.say("bot.register.ask_role"),
            [Option(role.value, ctx.say(f"role.{role.value}")) for role in Role],
        )
    elif field == "mobile":
        own = ctx.data.get("self", False)
        ctx.ask(
            ctx.say("bot.register.ask_mobile_own" if own else "bot.register.ask_mobile"),
            contact=own,
        )
    elif field == "office_phone":
        ctx.ask(
            ctx.say("bot.register.ask_office_phone"), [Option("skip", ctx.say("bot.register.skip"))]
        )
    else:
        ctx.ask(ctx.say(f"bot.register.ask_{field}"))


async def _on_field(ctx: Context, field: str) -> None:
    incoming = ctx.incoming
    value: str | None
    if field == "role" and ctx.chosen():
        value = ctx.chosen()
    elif field == "office_phone" and ctx.chosen() == "skip":
        value = ""
    elif field == "mobile" and incoming.kind == "contact":
        if not incoming.contact_is_own:
            ctx.tell("bot.register.contact_not_own")
            await _ask(ctx, field)
            return
        value = incoming.contact_phone or ""
    elif incoming.kind == "text":
        value = incoming.text
    else:
        ctx.tell("bot.choose_option" if field in ("role", "office_phone") else "bot.type_answer")
        await _ask(ctx, field)
        return
    try:
        parsed = people.parse_field(field, value)
        # The registry allows a record without these (an imported list may lack them); a
        # person registering gives them. Only the office phone may be skipped.
        if field in REQUIRED and not parsed.columns[field]:
            raise ValidationError(REQUIRED[field], field=field)
    except RegistryError as error:
        ctx.fail(error)
        await _ask(ctx, field)
        return
    for line in cards.notices(ctx, parsed.notices):
        ctx.send(line)
    ctx.data[field] = value
    if field == "mobile":
        ctx.data["mobile_verified"] = incoming.kind == "contact"
    await _next(ctx, field)


async def _next(ctx: Context, after: str) -> None:
    if ctx.data.pop("editing", False):
        await _summary(ctx)
        return
    order = ("agency", *FIELDS)
    following = order[order.index(after) + 1 :]
    for field in following:
        if field not in ctx.data:
            await _ask(ctx, field)
            return
    await _summary(ctx)


# --- summary, edit, confirm ---------------------------------------------------------------


def _shown(ctx: Context, field: str) -> str:
    value = ctx.data.get(field) or ""
    if not value.strip():  # an optional answer left blank (a position, a mobile: "   ")
        return "—"
    if field == "role":
        return ctx.say(f"role.{people.parse_field('role', value).columns['role'].value}")
    if field == "mobile":
        return format_phone(people.parse_field("mobile", value).columns["mobile"])
    if field == "office_phone":
        columns = people.parse_field("office_phone", value).columns
        return format_phone(columns["office_phone"], columns["office_ext"])
    if field == "email":
        return people.parse_field("email", value).columns["email"] or "—"
    return str(people.parse_field(field, value).columns[field])


async def _summary(ctx: Context) -> None:
    ctx.state.step = "summary"
    lines = [ctx.say("bot.register.summary")]
    lines.append(ctx.say("bot.card.agency", value=ctx.data["agency_name"]))
    for field in FIELDS:
        lines.append(ctx.say(f"bot.card.{field}", value=_shown(ctx, field)))
    ctx.ask(
        "\n".join(lines),
        [
            Option("ok", ctx.say("bot.register.confirm")),
            Option("edit", ctx.say("bot.register.edit")),
            Option("cancel", ctx.say("bot.register.cancel")),
        ],
    )


async def _on_summary(ctx: Context) -> None:
    answer = ctx.chosen()
    if answer == "ok":
        await _register(ctx)
    elif answer == "edit":
        ctx.state.step = "edit"
        fields = (
            ("agency", *FIELDS) if ctx.actor.agency_id is None or ctx.actor.is_staff else FIELDS
        )
        ctx.ask(
            ctx.say("bot.register.which_field"),
            [Option(f, ctx.say(f"field.{f}")) for f in fields],
        )
    elif answer == "cancel":
        ctx.end()
        ctx.tell("bot.cancelled")
    else:
        ctx.tell("bot.choose_option")
        await _summary(ctx)


async def _on_edit(ctx: Context) -> None:
    field = ctx.chosen()
    if field == "agency":
        ctx.data["editing"] = True
        ctx.state.step = "agency"
        ctx.ask(ctx.say("bot.register.ask_agency"))
    elif field in FIELDS:
        ctx.data["editing"] = True
        await _ask(ctx, field)
    else:
        ctx.tell("bot.choose_option")
        await _summary(ctx)


async def _register(ctx: Context) -> None:
    data = ctx.data
    try:
        result = await people.register_person(
            ctx.uow(),
            ctx.actor,
            agency=data["agency_code"],
            full_name=data["full_name"],
            role=data["role"],
            position=data.get("position"),
            mobile=data.get("mobile"),
            office_phone=data.get("office_phone") or None,
            email=data.get("email"),
            source="chat",
        )
    except Duplicate as duplicate:
        await _offer_instead(ctx, duplicate)
        return
    except ValidationError as error:
        ctx.fail(error)
        field = error.params.get("field")
        if field in FIELDS or field == "agency":
            data.pop(field, None)
            data["editing"] = True
            if field == "agency":
                ctx.state.step = "agency"
                ctx.ask(ctx.say("bot.register.ask_agency"))
            else:
                await _ask(ctx, field)
        else:
            await _summary(ctx)
        return
    ctx.end()
    person = result.person
    key = "bot.register.done_pending" if person.status == "pending" else "bot.register.done"
    # Notices (a converted phone) were shown when the answer was given.
    ctx.tell(key, person_id=person.id, name=person.full_name, agency=person.agency_name)


async def _offer_instead(ctx: Context, duplicate: Duplicate) -> None:
    existing_id = int(duplicate.params["person_id"])
    if duplicate.code == "person.duplicate_mobile":
        ctx.fail(duplicate)
        ctx.data.pop("mobile", None)
        ctx.data["editing"] = True
        await _ask(ctx, "mobile")
        return
    ctx.data["existing_id"] = existing_id
    name = duplicate.params.get("name", "")
    if manages_agency(ctx.actor, int(ctx.data["agency_id"])):
        ctx.state.step = "duplicate"
        ctx.ask(
            ctx.say("bot.register.duplicate_update", name=name, person_id=existing_id),
            [Option("update", ctx.say("bot.yes")), Option("no", ctx.say("bot.no"))],
        )
        return
    if ctx.data.get("mobile_verified"):
        ctx.state.step = "duplicate"
        ctx.ask(
            ctx.say("bot.register.duplicate_claim", name=name, person_id=existing_id),
            [Option("claim", ctx.say("bot.yes")), Option("no", ctx.say("bot.no"))],
        )
        return
    ctx.end()
    ctx.tell("bot.register.duplicate_ask_focal", name=name, person_id=existing_id)


async def _on_duplicate(ctx: Context) -> None:
    answer = ctx.chosen()
    existing_id = int(ctx.data["existing_id"])
    if answer == "claim":
        mobile = parse_mobile(ctx.data["mobile"]).e164
        await people.claim_person(ctx.uow(), ctx.actor, existing_id, verified_mobile=mobile)
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


async def _apply_as_update(ctx: Context, person_id: int) -> None:
    changed: list[str] = []
    for field in FIELDS:
        value = ctx.data.get(field)
        if field == "office_phone" and not value:
            continue
        result = await people.update_field(ctx.uow(), ctx.actor, person_id, field, value)
        if not any(n.code == "person.unchanged" for n in result.notices):
            changed.append(ctx.say(f"field.{field}"))
    person = await people.show_person(ctx.uow(), ctx.actor, person_id)
    ctx.end()
    ctx.tell("bot.register.updated_instead", person_id=person_id, fields=", ".join(changed) or "—")
    ctx.send(cards.person_card(ctx, person))
