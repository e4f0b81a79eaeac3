"""What the Zalo channel reads from an update (wrapped or bare) and how it numbers options."""

from __future__ import annotations

from typing import Any

import pytest

from bot.channels.numbered import choose_hint, numbered_text
from bot.channels.split import split_text, text_size
from bot.channels.zalo import MESSAGE_LIMIT, NoMessage, parse_update, to_incoming
from bot.dialogs.io import Option, Reply
from bot.web import MalformedUpdate


def update(event: str = "message.text.received", **message: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "from": {"id": "u-7", "display_name": "Nguyễn An", "is_bot": False},
        "chat": {"id": "u-7", "chat_type": "PRIVATE"},
        "message_id": "m-1",
        "date": 1750316131602,
        "text": "/start",
    }
    body.update(message)
    return {"event_name": event, "message": body}


def test_a_wrapped_and_a_bare_update_are_the_same_update() -> None:
    bare = parse_update(update())
    wrapped = parse_update({"ok": True, "result": update()})
    assert bare == wrapped
    assert (bare.chat_id, bare.user_id, bare.message_id, bare.text) == (
        "u-7",
        "u-7",
        "m-1",
        "/start",
    )
    assert bare.display_name == "Nguyễn An"


def test_a_text_becomes_a_command_or_text_and_other_events_unsupported() -> None:
    command = to_incoming(parse_update(update(text="/find  Lan")))
    assert command is not None and (command.kind, command.command, command.text) == (
        "command",
        "find",
        "Lan",
    )
    text = to_incoming(parse_update(update(text="hủy")))
    assert text is not None and (text.kind, text.text) == ("text", "hủy")
    for event in ("message.image.received", "message.sticker.received", "message.x.received"):
        incoming = to_incoming(parse_update(update(event, text=None)))
        assert incoming is not None and incoming.kind == "unsupported"


def test_pictures_in_a_group_are_not_answered() -> None:
    group = {"id": "g-1", "chat_type": "GROUP"}
    assert to_incoming(parse_update(update("message.image.received", chat=group))) is None


def test_the_same_message_and_event_is_the_same_delivery() -> None:
    first, again = parse_update(update()), parse_update({"ok": True, "result": update()})
    other_event = parse_update(update("message.sticker.received"))
    assert first.delivery_id == again.delivery_id != other_event.delivery_id
    long = parse_update(update(message_id="m" * 64))
    assert len(long.delivery_id) <= 64


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "text",
        {},
        {"ok": False, "error_code": 408, "result": None},
        {"ok": True, "result": None},
        {"event_name": "message.text.received"},
        update(text=None),
        update(text=12),
        update(message_id=None),
        update(message_id=True),
        update(message_id="x" * 65),
        update(chat="u-7"),
        {"event_name": 5, "message": update()["message"]},
    ],
)
def test_anything_else_is_malformed(body: Any) -> None:
    with pytest.raises(MalformedUpdate):
        parse_update(body)


@pytest.mark.parametrize(
    "body",
    [
        # A protected account's message: Zalo says only that something came, not from whom.
        {"event_name": "message.unsupported.received", "message": {"date": 1750316131602}},
        {"event_name": "message.unsupported.received"},
        # The bot added to a group, and events this code has never heard of.
        {"event_name": "bot.added.to.group", "group": {"id": "g-1"}},
        {"ok": True, "result": {"event_name": "group.member.joined", "message": {}}},
        {"event_name": "something.new"},
        # A picture event whose message carries no sender or chat.
        {"event_name": "message.image.received", "message": {"message_id": "m-2"}},
        {"event_name": "message.sticker.received", "message": None},
    ],
)
def test_an_event_without_a_message_is_ignored_rather_than_refused(body: Any) -> None:
    with pytest.raises(NoMessage) as ignored:
        parse_update(body)
    assert not isinstance(ignored.value, MalformedUpdate)
    assert ignored.value.event_name


@pytest.mark.parametrize(
    "body",
    [
        {"event_name": "", "message": update()["message"]},
        {"event_name": "   "},
        {"event_name": None, "message": update()["message"]},
        {"message": update()["message"]},
        {"event_name": "message.text.received", "message": {"text": "hi"}},
    ],
)
def test_a_body_that_is_no_zalo_event_is_still_malformed(body: Any) -> None:
    with pytest.raises(MalformedUpdate):
        parse_update(body)


def test_options_become_numbered_lines_with_how_to_answer() -> None:
    reply = Reply(
        "Vai trò của bạn?", [Option("a", "Người phát ngôn"), Option("b", "Đầu mối")], question=3
    )
    assert numbered_text(reply, "vi") == (
        "Vai trò của bạn?\n1. Người phát ngôn\n2. Đầu mối\nTrả lời 1 hoặc 2 (hoặc gõ “hủy” để dừng)"
    )
    assert choose_hint("vi", 3) == "Trả lời 1, 2 hoặc 3 (hoặc gõ “hủy” để dừng)"
    assert choose_hint("en", 1) == "Answer 1 (or type “cancel” to stop)"
    assert choose_hint("en", 9) == "Answer with a number from 1 to 9 (or type “cancel” to stop)"
    assert numbered_text(Reply("Chỉ chữ"), "vi") == "Chỉ chữ"


def test_a_long_answer_is_cut_below_zalos_limit() -> None:
    lines = [f"{n}. Nguyễn Văn An — UBND tỉnh Lào Cai — 0912 345 678" for n in range(100)]
    parts = split_text("\n".join(lines), MESSAGE_LIMIT)
    assert len(parts) > 1
    assert all(text_size(part) <= 2000 for part in parts)
    assert [line for part in parts for line in part.split("\n")] == lines


def test_the_terminal_shows_numbered_options_and_how_to_send_a_file() -> None:
    from bot.channels.console import render
    from bot.texts import t

    asked = Reply("Ngôn ngữ?", [Option("vi", "Tiếng Việt"), Option("en", "English")], question=1)
    assert render(asked, "vi") == (
        "Ngôn ngữ?\n1. Tiếng Việt\n2. English\nTrả lời 1 hoặc 2 (hoặc gõ “hủy” để dừng)"
    )
    upload = render(Reply("Gửi tệp.", upload=True), "vi")
    assert upload == f"Gửi tệp.\n{t('vi', 'console.file_hint')}"


def test_an_unsupported_message_from_someone_is_answered_politely() -> None:
    """A voice message or a file names its sender: they are told the bot reads text only."""
    parsed = parse_update(update("message.unsupported.received", text=None))
    incoming = to_incoming(parsed)
    assert incoming is not None and incoming.kind == "unsupported"
