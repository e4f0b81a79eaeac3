"""Stored Vietnamese numbers (E.164) shown in the national or international form, directly.

An export prints every person's numbers; ``phonenumbers.parse`` then ``format_number`` costs
about 15 µs a number, most of a large csv or vCard export. A stored number is already checked
and in E.164, so nothing needs parsing again: its digits after ``+84`` are laid out with the
same number formats ``phonenumbers`` uses for region VN (its own metadata: the leading digits
choose the format, its pattern cuts the groups, the national prefix "0" is written before the
first group where the metadata says so), which gives the very same text. A number of another
country, or anything that is not plain digits, is left to ``phonenumbers`` (None here).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from phonenumbers.phonemetadata import PhoneMetadata

COUNTRY_PREFIX = "+84"


@dataclass(frozen=True)
class _Format:
    leading: re.Pattern[str] | None  # where a national number must start to take this format
    pattern: re.Pattern[str]  # the whole national number, one group per block
    national: _Layout  # the layout with the national prefix rule applied ("0\1 \2 \3")
    international: _Layout  # the layout without it ("\1 \2 \3")


# A layout cut once into (text before, group number) pairs and the text after: Python parses a
# template given to ``Match.expand`` again on every call, the most of what showing costs.
_Layout = tuple[tuple[tuple[str, int], ...], str]


def _layout(template: str) -> _Layout:
    parts = re.split(r"\\(\d)", template)
    pairs = tuple((parts[i], int(parts[i + 1])) for i in range(0, len(parts) - 1, 2))
    return pairs, parts[-1]


def _laid_out(matched: re.Match[str], layout: _Layout) -> str:
    pairs, after = layout
    return "".join(before + matched.group(group) for before, group in pairs) + after


@functools.cache
def _formats(international: bool) -> tuple[_Format, ...]:
    metadata = PhoneMetadata.metadata_for_region("VN")
    assert metadata is not None
    chosen = (
        metadata.intl_number_format
        if international and metadata.intl_number_format
        else metadata.number_format
    )
    formats: list[_Format] = []
    for item in chosen:
        leading = item.leading_digits_pattern
        layout = item.format
        rule = item.national_prefix_formatting_rule
        # As phonenumbers does: the rule ("0\1") takes the place of the first group ("\1").
        national = layout.replace("\\1", rule, 1) if rule else layout
        formats.append(
            _Format(
                leading=re.compile(leading[-1]) if leading else None,
                pattern=re.compile(item.pattern),
                national=_layout(national),
                international=_layout(layout),
            )
        )
    return tuple(formats)


def vietnamese_text(e164: str, *, international: bool = False) -> str | None:
    """ "0912 345 678" / "024 3822 1234" (or "+84 912 345 678" with ``international``) for a
    stored Vietnamese number; None for any other (the caller asks ``phonenumbers``)."""
    if not e164.startswith(COUNTRY_PREFIX):
        return None
    digits = e164[len(COUNTRY_PREFIX) :]
    if not digits.isdigit() or not digits.isascii() or digits.startswith("0"):
        return None
    shown = digits  # a number no format fits is written as its plain digits
    for item in _formats(international):
        if item.leading is not None and item.leading.match(digits) is None:
            continue
        matched = item.pattern.fullmatch(digits)
        if matched is None:
            continue
        shown = _laid_out(matched, item.international if international else item.national)
        break
    return f"{COUNTRY_PREFIX} {shown}" if international else shown
