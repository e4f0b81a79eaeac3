"""The names agencies go by, matched without a database: accents, case, abbreviations, English
names and typos."""

from __future__ import annotations

import unicodedata

from hypothesis import assume, given
from hypothesis import strategies as st

from registry import agency_names
from registry.validation import fold

KNOWN = agency_names.known()
NAMES = {code: agency_names.names_of(code, a.name, a.short_name) for code, a in KNOWN.items()}
OFFICIAL = sorted(a.name for a in KNOWN.values())
CODE_OF = {a.name: a.code for a in KNOWN.values()}


def _exact(text: str) -> set[str]:
    wanted = agency_names.query_keys(text)
    return {code for code, names in NAMES.items() if wanted & names.exact}


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


@given(st.sampled_from(OFFICIAL), st.sampled_from([str.lower, str.upper, str.title, str]))
def test_a_name_without_accents_or_in_any_case_is_that_agency(name: str, case) -> None:
    assert CODE_OF[name] in _exact(case(_strip_accents(name)))


@given(
    st.sampled_from(OFFICIAL),
    st.integers(min_value=0, max_value=200),
    st.sampled_from("abcdeghiklmnopqrstuvxy"),
    st.sampled_from(["replace", "insert", "delete"]),
)
def test_a_name_one_letter_off_is_offered(name: str, where: int, letter: str, how: str) -> None:
    letters = [i for i, c in enumerate(name) if c.isalpha()]
    i = letters[where % len(letters)]
    changed = {
        "replace": name[:i] + letter + name[i + 1 :],
        "insert": name[:i] + letter + name[i:],
        "delete": name[:i] + name[i + 1 :],
    }[how]
    # A change that makes another agency's name (or none at all) is not a typo of this one.
    assume(not (_exact(changed) - {CODE_OF[name]}))
    assume(fold(changed) != fold(name))
    offered = agency_names.closest(changed, NAMES.items(), limit=8)
    assert CODE_OF[name] in offered or CODE_OF[name] in _exact(changed)


def test_every_agency_of_both_lists_has_an_english_name() -> None:
    for code, agency in KNOWN.items():
        assert agency.english and agency.english != agency.name, code
    assert agency_names.english_name("bo-tai-chinh") == "Ministry of Finance"
    assert agency_names.english_name("tinh-lao-cai") == "Lào Cai Province"
    assert agency_names.english_name("so-y-te-lao-cai") is None


def test_every_merger_leads_to_an_agency_of_2025() -> None:
    merged = agency_names.mergers()
    assert len(merged) == 40
    for code, merger in merged.items():
        assert code in KNOWN and merger.successor_code in KNOWN
        assert merger.successor_code not in merged


def test_abbreviations_and_english_names() -> None:
    assert _exact("Bộ TT&TT") == {"bo-thong-tin-va-truyen-thong"}
    assert _exact("MIC") == {"bo-thong-tin-va-truyen-thong"}
    assert _exact("MOF") == {"bo-tai-chinh"}
    assert _exact("People's Committee of Lào Cai Province") == {"tinh-lao-cai"}
    assert _exact("HCMC") == {"tp-ho-chi-minh"}
    assert _exact("TP. HCM") == {"tp-ho-chi-minh"}


def test_ubnd_alone_names_no_province() -> None:
    for text in ("UBND", "ủy ban nhân dân", "UBND tỉnh", "People's Committee of", "tp"):
        assert agency_names.is_admin_only(text), text
    for text in ("UBND Lào Cai", "Lào Cai", "", "Bộ Tài chính"):
        assert not agency_names.is_admin_only(text), text


@given(st.text(max_size=60))
def test_any_text_is_matched_without_error(text: str) -> None:
    agency_names.closest(text, NAMES.items())
    agency_names.is_admin_only(text)
    assert isinstance(_exact(text), set)


def test_short_abbreviations_are_never_guessed() -> None:
    # "MOX" is one letter from MOF, MOH and MOJ: no guess among abbreviations.
    assert agency_names.closest("MOX", NAMES.items()) == []
