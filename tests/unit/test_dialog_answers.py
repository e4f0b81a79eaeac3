"""Reading an answer: buttons, typed numbers, typed labels and contacts all come out the same."""

from __future__ import annotations

import pytest

from bot.dialogs.answers import Answer, Asked, read_answer
from bot.dialogs.io import Incoming, Option

ROLE = Asked(
    4,
    "Vai trò của người này?",
    (Option("head", "Người đứng đầu"), Option("spokesperson", "Người phát ngôn")),
)
MOBILE = Asked(5, "Số điện thoại di động?", contact=True)
SKIP = Asked(6, "Điện thoại cố định?", (Option("skip", "Bỏ qua"),))


def text(value: str) -> Incoming:
    return Incoming.parse_text(value)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2", "spokesperson"),
        ("2.", "spokesperson"),
        (" 1) ", "head"),
        ("Người phát ngôn", "spokesperson"),
        ("nguoi phat ngon", "spokesperson"),  # accents and case do not matter
        ("NGƯỜI ĐỨNG ĐẦU", "head"),
    ],
)
def test_a_typed_number_or_label_is_the_option(typed: str, expected: str) -> None:
    assert read_answer(text(typed), ROLE) == Answer(option=expected)


@pytest.mark.parametrize("typed", ["0", "3", "12", "người", "phát ngôn viên", ""])
def test_other_text_stays_text(typed: str) -> None:
    assert read_answer(text(typed), ROLE) == Answer(text=typed)


def test_a_phone_number_where_skip_is_offered_stays_a_phone_number() -> None:
    assert read_answer(text("0912345678"), SKIP) == Answer(text="0912345678")
    assert read_answer(text("1"), SKIP) == Answer(option="skip")
    assert read_answer(text("bỏ qua"), SKIP) == Answer(option="skip")


def test_a_button_of_the_current_question_is_its_option() -> None:
    assert read_answer(Incoming("choice", choice="4:head"), ROLE) == Answer(option="head")


def test_a_button_of_an_older_question_is_stale() -> None:
    assert read_answer(Incoming("choice", choice="3:head"), ROLE).stale
    assert read_answer(Incoming("choice", choice="4:head"), None).stale
    assert read_answer(Incoming("choice", choice="garbage"), ROLE).stale


def test_a_key_the_question_never_offered_is_flagged_for_the_step() -> None:
    answer = read_answer(Incoming("choice", choice="4:admin"), ROLE)
    assert answer == Answer(option="admin", foreign=True)


def test_a_shared_contact_is_a_phone_with_its_origin() -> None:
    own = Incoming("contact", contact_phone="+84912345678", contact_is_own=True)
    assert read_answer(own, MOBILE) == Answer(phone="+84912345678", own_phone=True)
    other = Incoming("contact", contact_phone="0912345678", contact_is_own=False)
    assert read_answer(other, MOBILE) == Answer(phone="0912345678", own_phone=False)


def test_a_file_or_a_sticker_answers_nothing() -> None:
    assert read_answer(Incoming("unsupported"), ROLE) == Answer()
    assert read_answer(Incoming("file", file_name="a.xlsx"), ROLE) == Answer()


def test_the_question_survives_storage() -> None:
    assert Asked.from_stored(4, ROLE.stored()) == ROLE
    assert Asked.from_stored(5, MOBILE.stored()) == MOBILE
    assert Asked.from_stored(1, None) is None
    assert Asked.from_stored(1, {"options": [["a", "b"]]}) is None
    broken = {"text": "?", "options": [["only-a-key"], "x", ["k", "label"]]}
    assert Asked.from_stored(2, broken) == Asked(2, "?", (Option("k", "label"),))


CONSENT = Asked(
    1, "Bạn có đồng ý không?", (Option("yes", "Tôi đồng ý"), Option("no", "Không đồng ý"))
)
SUMMARY = Asked(
    9,
    "Kiểm tra lại thông tin:",
    (Option("ok", "✅ Xác nhận"), Option("edit", "✏️ Sửa một mục"), Option("cancel", "❌ Hủy")),
)


@pytest.mark.parametrize(
    ("asked", "typed", "expected"),
    [
        (CONSENT, "đồng ý", "yes"),  # the short answer for "Tôi đồng ý"
        (CONSENT, "Đồng ý!", "yes"),
        (CONSENT, "dong y", "yes"),
        (CONSENT, "I agree", "yes"),  # the English label in the Vietnamese chat
        (CONSENT, "không", "no"),
        (CONSENT, "KHÔNG ĐỒNG Ý.", "no"),
        (CONSENT, "no", "no"),
        (SUMMARY, "xác nhận", "ok"),  # the emoji of the label is not typed
        (SUMMARY, "Xac nhan", "ok"),
        (SUMMARY, "confirm", "ok"),
        (SUMMARY, "sửa", "edit"),
        (SUMMARY, "Edit a field", "edit"),
        (SKIP, "skip", "skip"),  # the English word in the Vietnamese chat
        (SKIP, "Bỏ qua.", "skip"),
        (SKIP, "“bỏ qua”", "skip"),  # copied from the prompt with its quotes
        (SKIP, "không có", "skip"),
        (ROLE, "Spokesperson", "spokesperson"),
    ],
)
def test_a_label_in_either_language_or_a_short_answer_is_the_option(
    asked: Asked, typed: str, expected: str
) -> None:
    assert read_answer(text(typed), asked) == Answer(option=expected)


@pytest.mark.parametrize("typed", ["đồng", "tôi", "có lẽ", "!!!", "🙂"])
def test_a_word_naming_no_option_stays_text(typed: str) -> None:
    assert read_answer(text(typed), CONSENT) == Answer(text=typed)


def test_a_word_naming_two_options_stays_text() -> None:
    twice = Asked(1, "?", (Option("a", "Bỏ qua"), Option("b", "Bỏ qua")))
    assert read_answer(text("bỏ qua"), twice) == Answer(text="bỏ qua")
