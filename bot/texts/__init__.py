"""Every text a person reads, one catalog per language (Vietnamese first, then English).

Catalogs are TOML files beside this module; keys are dotted (``error.phone.letters``) and
placeholders use ``str.format`` syntax. A key missing in English falls back to Vietnamese,
and a test keeps both catalogs with the same keys and placeholders.

English counts need the plural ("1 agency", "3 agencies"); Vietnamese words do not change. A
template names the word's two forms beside the count it follows: ``{count} {count|agency|agencies}``
gives the first form when ``count`` is 1 (or -1) and the second otherwise.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import string
import sys
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from registry.errors import RegistryError

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = str(value)
    return flat


# Where the parsed catalogs are kept, as Python keeps compiled modules (see ``catalog``).
KEPT = Path(__file__).with_name("__pycache__")


@cache
def catalog(language: str) -> dict[str, str]:
    """The flat catalog of one language, read the first time a text of it is asked for."""
    data = files("bot.texts").joinpath(f"{language}.toml").read_bytes()
    return flat_catalog(language, data, KEPT)


def flat_catalog(language: str, data: bytes, kept: Path) -> dict[str, str]:
    """The TOML ``data`` of a catalog, flattened; kept as JSON in ``kept``.

    Parsing the TOML costs a short command more than its own work. The flat catalog is kept
    beside, named by a digest of the TOML's bytes: a changed catalog is parsed again, and a
    kept file that cannot be read or written (a read-only install, ``PYTHONDONTWRITEBYTECODE``)
    only means parsing each time, as with Python's own caches."""
    digest = hashlib.blake2b(data, digest_size=10).hexdigest()
    path = kept / f"{language}.{digest}.json"
    try:
        flat = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        flat = None
    if isinstance(flat, dict) and all(isinstance(value, str) for value in flat.values()):
        return flat
    import tomllib

    flat = _flatten(tomllib.loads(data.decode("utf-8")))
    if not sys.dont_write_bytecode:
        _keep(path, flat)
    return flat


def _keep(path: Path, flat: dict[str, str]) -> None:
    """Write ``flat`` to ``path`` whole or not at all (another process may be reading it), and
    drop the files of the catalog's earlier versions."""
    written = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(exist_ok=True)
        written.write_text(json.dumps(flat, ensure_ascii=False), encoding="utf-8")
        os.replace(written, path)
        language = path.name.split(".")[0]
        for old in path.parent.glob(f"{language}.*.json"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        with contextlib.suppress(OSError):
            written.unlink()


def language_of(language: str | None) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


class _Params(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


_PLURAL = re.compile(r"\{(\w+)\|([^|{}]*)\|([^|{}]*)\}")


def plural_forms(template: str, params: dict[str, Any]) -> str:
    """``{count|agency|agencies}`` replaced by the form ``params['count']`` takes; left as it
    is when the count is not given or not a number."""

    def form(match: re.Match[str]) -> str:
        value = params.get(match.group(1))
        try:
            one = abs(int(value)) == 1  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return match.group(0)
        return (match.group(2) if one else match.group(3)).replace("{", "{{").replace("}", "}}")

    return _PLURAL.sub(form, template) if "|" in template else template


# How each language groups the digits of a large number: "50.000 dòng", "50,000 rows".
_GROUPING = {"vi": ".", "en": ","}


def number(language: str | None, value: int) -> str:
    """A count as the language writes it, digits grouped in thousands: "12.345", "12,345"."""
    return f"{value:,}".replace(",", _GROUPING.get(language_of(language), ","))


class _Grouped(string.Formatter):
    """Fills a template where ``{max:,}`` asks for a number's digits grouped in thousands, as
    the language writes them; a value that is no number is written as it is."""

    def __init__(self, language: str) -> None:
        self.language = language

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec != ",":
            return super().format_field(value, format_spec)
        if isinstance(value, int) and not isinstance(value, bool):
            return number(self.language, value)
        return str(value)


def t(language: str | None, key: str, **params: Any) -> str:
    """The text ``key`` in ``language`` with its placeholders filled in."""
    lang = language_of(language)
    template = catalog(lang).get(key) or catalog(DEFAULT_LANGUAGE).get(key)
    if template is None:
        raise KeyError(f"no text for {key!r}")
    filled = plural_forms(template, params)
    if ":,}" in filled:
        return _Grouped(lang).vformat(filled, (), _Params(params))
    return filled.format_map(_Params(params))


def has(key: str) -> bool:
    return key in catalog(DEFAULT_LANGUAGE)


def _param_text(language: str, name: str, value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return value  # a count or a limit: the template may group its digits
    if isinstance(value, list | tuple):
        return "; ".join(str(item) for item in value)
    # Field, role and kind names are shown in the person's language.
    for group in ("field", "role", "kind", "status"):
        if name == group and has(f"{group}.{value}"):
            return t(language, f"{group}.{value}")
    return str(value)


def error_text(language: str | None, error: RegistryError) -> str:
    """The message for a registry error, saying what to fix, in the person's language."""
    lang = language_of(language)
    key = f"error.{error.code}"
    params = {name: _param_text(lang, name, value) for name, value in error.params.items()}
    if not has(key):
        return t(lang, "error.unknown", code=error.code)
    message = t(lang, key, **params)
    # An error about one field names it, so a person filling in a form knows where to look
    # (once: "Họ và tên không được có chữ số" names it already).
    named = "{field}" in catalog(lang).get(key, "")
    if "field" in error.params and not named:
        field = str(params["field"])
        if not message.casefold().startswith(field.casefold()):
            message = t(lang, "error.in_field", field=field, message=message)
    return message
