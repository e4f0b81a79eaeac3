"""Pure checks of what people type or import: phones, emails, names, free text, roles.

No database and no I/O here. Every rejected input raises
:class:`registry.errors.ValidationError` with a code (see each function) and nothing else.
"""

from registry.validation.emails import normalize_email
from registry.validation.phones import (
    OLD_MOBILE_PREFIXES,
    Phone,
    format_international,
    format_phone,
    parse_mobile,
    parse_office_phone,
    parse_phone,
    parse_phones,
)
from registry.validation.roles import ROLES, parse_role
from registry.validation.text import fold, name_recased, normalize_name, normalize_text

__all__ = [
    "OLD_MOBILE_PREFIXES",
    "ROLES",
    "Phone",
    "fold",
    "format_international",
    "format_phone",
    "name_recased",
    "normalize_email",
    "normalize_name",
    "normalize_text",
    "parse_mobile",
    "parse_office_phone",
    "parse_phone",
    "parse_phones",
    "parse_role",
]
