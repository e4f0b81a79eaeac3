"""Asking for one of a person's fields and reading the answer, shared by /register and /update.

Both dialogs ask the same questions (a role among options, a mobile that Telegram can share, a
text to type) and accept the same kinds of answer; the value is then validated once, by the
registry's own parser, and kept normalised as the registry stores it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.dialogs.answers import is_skip_word
from bot.dialogs.context import Context
from bot.dialogs.io import Option
from registry.models import PersonField, Role
from registry.validation import format_phone

SKIP = "skip"  # the option that leaves an optional field empty
# Fields a typed "bỏ qua" / "skip" leaves empty even where no "skip" option is shown (/update
# asks for a new value without one): the office phone's prompt tells people to skip it.
SKIPPABLE = frozenset({PersonField.office_phone})


def role_options(ctx: Context[Any]) -> list[Option]:
    return [Option(role.value, ctx.say(f"role.{role.value}")) for role in Role]


def typed_value(ctx: Context[Any], field: PersonField, ask_again: Callable[[], None]) -> str | None:
    """The answer to ``field``'s question as text for the registry to validate.

    A role may be chosen among options, an optional field skipped, a mobile shared (only one's
    own); anything else must be typed. An answer of the wrong kind gets a hint and the question
    again (``ask_again``), and None comes back.
    """
    answer = ctx.answer
    if field is PersonField.role and answer.option is not None:
        return answer.option
    if answer.option == SKIP:
        return ""
    if field in SKIPPABLE and answer.text is not None and is_skip_word(answer.text):
        return ""
    if field is PersonField.mobile and answer.phone is not None:
        if not answer.own_phone:
            ctx.tell("bot.register.contact_not_own")
            ask_again()
            return None
        return answer.phone
    if answer.text is not None:
        return answer.text
    offers_options = ctx.asked is not None and bool(ctx.asked.options)
    ctx.tell("bot.choose_option" if offers_options else "bot.type_answer")
    ask_again()
    return None


def office_phone_text(number: str | None, extension: str | None) -> str | None:
    """A stored office number with its extension, as the registry reads it back."""
    if not number:
        return None
    return f"{number} ext. {extension}" if extension else number


def phone_text(ctx: Context[Any], e164: str | None, extension: str | None = None) -> str:
    """A stored number as the person reads it, with their language's word for an extension
    ("024 3822 1234 máy lẻ 12")."""
    return format_phone(e164, extension, extension_word=ctx.say("phone.extension"))


def shown(ctx: Context[Any], field: PersonField, columns: dict[str, Any]) -> str:
    """A normalised value as people read it (national phone format, the role's name); "" for
    an empty one."""
    if field is PersonField.office_phone:
        number = columns.get("office_phone")
        return phone_text(ctx, number, columns.get("office_ext")) if number else ""
    value = columns.get(field.value)
    if not value:
        return ""
    if field is PersonField.role:
        return ctx.say(f"role.{Role(value).value}")
    if field is PersonField.mobile:
        return format_phone(value)
    return str(value)


def stored_text(field: PersonField, columns: dict[str, Any]) -> str:
    """A normalised value as text for a use case ("" clears the field)."""
    if field is PersonField.office_phone:
        return office_phone_text(columns.get("office_phone"), columns.get("office_ext")) or ""
    value = columns.get(field.value)
    if isinstance(value, Role):
        return value.value
    return "" if value is None else str(value)
