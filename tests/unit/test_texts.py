"""The text catalogs: the same keys and placeholders in both languages, and every key used exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from bot.dialogs.engine import COMMANDS
from bot.texts import LANGUAGES, catalog, error_text, plural_forms, t
from registry.accounts import parse_account_role
from registry.errors import ValidationError
from registry.models import AccountRole, AgencyKind, PersonField, Role, Source, Status

ROOT = Path(__file__).resolve().parents[2]


def _placeholders(template: str) -> set[str]:
    # "{count|agency|agencies}" (English plural forms) stands for the placeholder "count".
    return {name.split("|")[0] for _, name, _, _ in string.Formatter().parse(template) if name}


def _sources(folder: str) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / folder).rglob("*.py"))


def test_both_catalogs_have_the_same_keys_and_placeholders() -> None:
    vi, en = catalog("vi"), catalog("en")
    assert set(vi) == set(en)
    for key in vi:
        assert _placeholders(vi[key]) == _placeholders(en[key]), key


def test_vietnamese_is_written_with_diacritics() -> None:
    vi = catalog("vi")
    accented = [key for key, text in vi.items() if re.search(r"[à-ỹđĐ]", text)]
    assert len(accented) > 0.8 * len(vi)
    assert vi["role.spokesperson"] == "Người phát ngôn"


def test_every_error_code_raised_has_a_message() -> None:
    code = _sources("registry") + _sources("bot")
    raised = set(
        re.findall(
            r"(?:ValidationError|NotFound|Ambiguous|PermissionDenied|Conflict|Duplicate)"
            r"\(\s*\"([a-z_]+\.[a-z_.]+)\"",
            code,
        )
    )
    raised |= set(
        re.findall(r"\"(?:uq_[a-z_]+|person\.[a-z_, .]+)\": \"([a-z_]+\.[a-z_]+)\"", code)
    )
    assert len(raised) > 40
    for language in LANGUAGES:
        missing = sorted(c for c in raised if f"error.{c}" not in catalog(language))
        assert missing == [], language


def test_every_notice_and_literal_key_used_by_the_code_exists() -> None:
    notices = set(re.findall(r"Notice\(\s*\"([a-z_.]+)\"", _sources("registry")))
    assert notices >= {"phone.converted", "person.unchanged"}
    groups = "cli|error|notice|column|field|role|status|kind|source|action|account_role|bot|console"
    bot_code = _sources("bot")
    raised = set(re.findall(r"Error\(\s*\"([a-z_]+\.[a-z_.]+)\"", bot_code))
    literal = set(re.findall(rf"\"((?:{groups})\.[a-z_]+(?:\.[a-z_]+)*)\"", bot_code)) - raised
    literal.discard("bot.texts")  # the package holding the catalogs, not a key
    assert "cli.person_added" in literal
    keys = {f"notice.{n}" for n in notices} | literal
    for language in LANGUAGES:
        assert sorted(k for k in keys if k not in catalog(language)) == []


@pytest.mark.parametrize(
    ("group", "values"),
    [
        ("role", [r.value for r in Role]),
        ("status", [s.value for s in Status]),
        ("kind", [k.value for k in AgencyKind]),
        ("source", [s.value for s in Source]),
        ("account_role", [r.value for r in AccountRole]),
        ("field", [f.value for f in PersonField]),
        ("column", ["id", "full_name", "agency", "mobile", "email", "status"]),
        ("action", ["create", "update", "retire", "verify", "merge", "link", "grant", "revoke"]),
        ("bot.card", [*(f.value for f in PersonField if f is not PersonField.note), "status"]),
        ("bot.register", [f"ask_{f.value}" for f in (PersonField.agency, *PersonField.own())]),
        ("bot.command", [c.name for c in COMMANDS]),
    ],
)
def test_every_value_shown_to_people_has_a_name(group: str, values: list[str]) -> None:
    for language in LANGUAGES:
        for value in values:
            assert f"{group}.{value}" in catalog(language), (language, group, value)


def test_error_text_fills_parameters_and_names_the_field() -> None:
    error = ValidationError("phone.letters", text="xxx", field="mobile")
    assert error_text("vi", error) == (
        "Điện thoại di động: Số điện thoại chỉ gồm chữ số (có thể có dấu chấm, khoảng trắng, "
        "ngoặc, +84); “xxx” không phải chữ số."
    )
    assert error_text("en", error).startswith("Mobile phone: A phone number has only digits")


def test_error_text_of_a_listing_joins_it() -> None:
    try:
        parse_account_role("boss")
    except ValidationError as error:
        assert "admin, staff, focal, member" in error_text("en", error)
    else:
        pytest.fail("'boss' is not a role")


def test_unknown_language_falls_back_to_vietnamese() -> None:
    assert t("fr", "role.head") == "Người đứng đầu"
    assert t("en", "role.head") == "Head of agency"


@pytest.mark.parametrize(
    ("count", "shown"),
    [(0, "0 agencies have"), (1, "1 agency has"), (2, "2 agencies have"), (21, "21 agencies have")],
)
def test_english_counts_take_the_plural_they_need(count: int, shown: str) -> None:
    assert t("en", "cli.missing_count", count=count).startswith(shown)


def test_plural_forms_leave_vietnamese_and_unknown_counts_alone() -> None:
    assert t("vi", "cli.missing_count", count=1).startswith("1 cơ quan")
    assert plural_forms("{n} {n|row|rows}", {}) == "{n} {n|row|rows}"
    assert plural_forms("{n|row|rows}", {"n": "many"}) == "{n|row|rows}"
    assert plural_forms("{n|row|rows} {m|day|days}", {"n": 1, "m": 3}) == "row days"
    assert plural_forms("{{literal}} {n|row|rows}", {"n": -1}) == "{{literal}} row"
    assert t("en", "bot.export.done", people=1, missing=1) == (
        "Roster of spokespeople and press contacts: 1 person; 1 agency with nobody registered."
    )
    assert t("en", "import.summary.problem", count=1, reason="x", rows="row 9") == (
        "• x — 1 row with this error: row 9"
    )


@pytest.mark.parametrize(
    ("language", "shown"), [("vi", "50.000"), ("en", "50,000")], ids=["vi", "en"]
)
def test_large_counts_and_limits_are_grouped_as_the_language_writes_them(
    language: str, shown: str
) -> None:
    refusal = error_text(language, ValidationError("import.too_many_rows", max=50_000))
    assert shown in refusal
    counts = t(language, "import.summary.counts", created=12_345, updated=0, unchanged=7,
               error=1_000_000, skipped=999)  # fmt: skip
    assert shown.replace("50", "12").replace("000", "345") in counts
    assert ("1.000.000" if language == "vi" else "1,000,000") in counts
    assert " 999" in counts and " 0," in counts


def test_a_grouped_placeholder_given_a_text_writes_the_text() -> None:
    assert "nhiều" in t("vi", "error.import.too_many_rows", max="nhiều")
    assert "{max}" in t("vi", "error.import.too_many_rows")


def test_identifiers_are_never_grouped() -> None:
    shown = t("vi", "cli.imports.detail", run=12345, file="ds.xlsx", size=1_234_567,
              sha="ab", actor="cli", status="done", done=10_000, total=10_000)  # fmt: skip
    assert "số 12345" in shown
    assert "1.234.567 byte" in shown and "10.000/10.000" in shown


def test_an_error_names_its_field_once() -> None:
    digits = ValidationError("name.digits", field="full_name")
    assert error_text("vi", digits) == "Họ và tên không được có chữ số."
    assert error_text("en", digits) == "Full name: A full name cannot contain digits."
    # A message that does not name the field gets it in front.
    short = ValidationError("phone.too_short", field="mobile")
    assert error_text("vi", short).startswith("Điện thoại di động: Số điện thoại quá ngắn")
