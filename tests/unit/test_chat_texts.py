"""The chat never tells a person to use a command-line option: whatever a chat or the upload
page may show (every text but the terminal's own) names no "--agency" or "--report"."""

from __future__ import annotations

import re

import pytest

from bot.texts import LANGUAGES, catalog

# The terminal's own texts, which may name the options of its commands.
_TERMINAL_ONLY = (
    "cli.",
    "error.import_cli.",
    "error.accounts_cli.",
    "error.catalog_cli.",
    "error.invitation_cli.",
)
_OPTION = re.compile(r"(?<![\w-])--[a-z]")


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_chat_text_names_a_command_line_option(language: str) -> None:
    named = [
        key
        for key, text in catalog(language).items()
        if _OPTION.search(text) and not key.startswith(_TERMINAL_ONLY)
    ]
    assert named == []
