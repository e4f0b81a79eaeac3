"""Email addresses, checked by ``email-validator`` and stored in one normal form.

email-validator only says what is wrong in English prose, so its message is mapped onto a code
a channel can translate (first rule that matches wins; the English text always goes along as
``reason``):

=========================================================  ======================
message contains (any case)                                code
=========================================================  ======================
"too long"                                                 ``email.too_long``
"before the @-sign", "cannot start with a"                 ``email.bad_local_part``
"after the @-sign", "cannot end with a", "domain name"     ``email.bad_domain``
"two periods in a row", "period and a hyphen next to"      the part holding them
anything else (unsafe characters, quoting, ...)            ``email.invalid``
=========================================================  ======================

``email.empty``, ``email.missing_at`` and ``email.several`` are decided here before the library
is called, since a cell from a spreadsheet is often empty, a name, or two addresses.

An import checks thousands of addresses of a few domains ("laocai.gov.vn"), and the library's
check of the domain is most of what an address costs. So an address whose part before the @ is
plain (ASCII letters and digits, single dots, dashes, underscores or pluses between them, at
most 64 characters) and that is all ASCII and at most 254 characters long is judged by the
library on a stand-in before the @ and the domain as written: for such an address the library
accepts the part before the @ as it is, whatever the domain, and its verdict is the domain's.
A domain the library accepted is remembered; anything else goes the whole way
(tests/unit/test_validation_emails.py compares both ways on generated addresses).
"""

from __future__ import annotations

import functools
import re

from registry.errors import ValidationError

# Far beyond the 254 characters an address may have; keeps the library off megabyte input.
_MAX_INPUT = 1000
_MAILTO = re.compile(r"^mailto:", re.IGNORECASE)
_SEPARATORS = re.compile(r"[;,\s]+")

_RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("too long",), "email.too_long"),
    (("before the @-sign", "cannot start with a"), "email.bad_local_part"),
    (("after the @-sign", "cannot end with a", "domain name"), "email.bad_domain"),
)
# Messages that do not say which side of the @ is wrong; the input tells.
_EITHER_SIDE: dict[str, tuple[str, ...]] = {
    "two periods in a row": ("..",),
    "period and a hyphen next to": (".-", "-."),
}


def normalize_email(text: str, *, check_deliverability: bool = False) -> str:
    """Return the normalised, lowercased address, or raise ``ValidationError``.

    ``check_deliverability`` asks DNS whether the domain takes mail (off by default: imports
    and tests must not depend on the network).
    """
    value = cleaned_email_text(text)
    if not value:
        raise ValidationError("email.empty")
    if len(value) > _MAX_INPUT:
        raise ValidationError("email.too_long", reason="The email address is too long.")
    candidates = [token for token in _SEPARATORS.split(value) if "@" in token]
    if len(candidates) > 1:
        raise ValidationError("email.several", count=len(candidates))
    if "@" not in value:
        raise ValidationError("email.missing_at")
    quick = None if check_deliverability else _plain_address(value)
    if quick is not None:
        return quick
    from email_validator import EmailNotValidError, validate_email  # see _checked_domain

    try:
        # strict: also enforce the 64-character limit of the local part (RFC 5321), which
        # the library skips by default; no mail server takes a longer one.
        result = validate_email(
            value, check_deliverability=check_deliverability, allow_smtputf8=True, strict=True
        )
    except EmailNotValidError as error:
        message = str(error)
        raise ValidationError(_code_for(message, value), reason=message) from None
    # The library lowercases the domain only. Vietnamese government mail servers (and nearly
    # every server in use) treat the local part case-insensitively too, and one form per
    # person is what duplicate detection and search need, so the whole address is lowercased.
    return result.normalized.lower()


# Plain characters of the part before the @ (a subset of RFC 5322's dot-atom text).
_PLAIN_LOCAL = re.compile(r"[A-Za-z0-9]+(?:[._+-][A-Za-z0-9]+)*")
_LOCAL_MAX = 64  # the library's limit in strict mode (RFC 5321)
_ADDRESS_MAX = 254


def _plain_address(value: str) -> str | None:
    """The normalised address for a plain one (see the module's docstring), or None."""
    if len(value) > _ADDRESS_MAX or not value.isascii() or value.count("@") != 1:
        return None
    local, _, domain = value.partition("@")
    if len(local) > _LOCAL_MAX or _PLAIN_LOCAL.fullmatch(local) is None:
        return None
    checked = _checked_domain(domain)
    if checked is None:
        return None
    # A punycode domain is shown in Unicode, which may be longer in UTF-8 than as written.
    normalized = f"{local}@{checked}"
    return normalized.lower() if len(normalized.encode()) <= _ADDRESS_MAX else None


@functools.lru_cache(maxsize=1024)
def _checked_domain(domain: str) -> str | None:
    """The domain as the library normalises it, or None when it refuses it."""
    # Imported when an address is first checked: loading the library costs a command that
    # checks none (a search, a listing) about a twentieth of its start.
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(
            "a@" + domain, check_deliverability=False, allow_smtputf8=True, strict=True
        )
    except EmailNotValidError:
        return None
    return result.normalized.partition("@")[2]


def cleaned_email_text(text: str) -> str:
    """``text`` without what is left around an address in lists and sentences: "mailto:", a
    trailing ";" or "," from a list the cell was cut out of, and a full stop ending the
    sentence ("an@laocai.gov.vn."), which no domain ends with. The caller compares it with what
    was typed to say what was changed."""
    value = _MAILTO.sub("", text.strip()).strip(" \t\r\n;,")
    return value.rstrip(".").rstrip(" ;,") if "@" in value else value


def _code_for(message: str, value: str) -> str:
    message = message.lower()
    for needles, code in _RULES:
        if any(needle in message for needle in needles):
            return code
    local = value.rpartition("@")[0]
    for needle, patterns in _EITHER_SIDE.items():
        if needle in message:
            in_local = any(pattern in local for pattern in patterns)
            return "email.bad_local_part" if in_local else "email.bad_domain"
    return "email.invalid"
