"""Every question of every declared flow takes an option's label, typed, as its number.

The conversations below are driven in Vietnamese and in English, answering each question by
typing a label (never a button); every question asked on the way is recorded. Each recorded
option is then read back from every way of typing it: its label in either language, folded,
in capitals, with punctuation around it. The list of steps comes from the flows the engine
declares, so a new question that offers options is covered, or the test says which is not.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.dialogs.answers import Asked, read_answer
from bot.dialogs.context import Context
from bot.dialogs.engine import FLOWS, Dialogs
from bot.dialogs.io import Incoming, Option
from bot.settings import BotSettings
from bot.texts import LANGUAGES, catalog
from registry import accounts, claims
from registry.uow import Database
from tests.builders import INVITATION_SECRET, colleagues, csv_list, grant, invitation, listed
from tests.integration.chat import Chat

# Steps that ask for typed text only (a name, a number, a search): no options to read.
FREE_TEXT = {
    ("register", "full_name"),
    ("register", "position"),
    ("register", "mobile"),
    ("register", "email"),
    ("find", "query"),
    ("agency", "query"),
    ("broadcast", "agency"),
    ("broadcast", "body"),
    ("campaign", "deadline"),
}


@dataclass(frozen=True)
class Question:
    flow: str
    step: str
    language: str
    options: tuple[Option, ...]


@pytest.fixture
def questions(monkeypatch: pytest.MonkeyPatch) -> list[Question]:
    """Every question with options that the engine asks during the test."""
    asked: list[Question] = []
    ask = Context.ask

    def recording(self: Context[Any], text: str, options: Any = None, **kw: Any) -> None:
        ask(self, text, options, **kw)
        if options and self.flow is not None and self.step is not None:
            asked.append(Question(self.flow.name, self.step.value, self.language, tuple(options)))

    monkeypatch.setattr(Context, "ask", recording)
    return asked


@pytest.fixture
def dialogs(loaded: Database) -> Dialogs:
    # The published directory on: its questions (publishing one's mobile) are asked too.
    settings = BotSettings(  # type: ignore[call-arg]
        _env_file=None, invitation_secret=INVITATION_SECRET, public_directory=True
    )
    return Dialogs(loaded, settings)


WORDS = {
    "vi": {"yes": "đồng ý", "no": "không", "skip": "bỏ qua", "ok": "xác nhận", "edit": "sửa"},
    "en": {"yes": "yes", "no": "no", "skip": "skip", "ok": "confirm", "edit": "edit"},
}


async def _walk(dialogs: Dialogs, language: str, base: int) -> None:
    """Every flow once, each question answered by typing a label or a short answer."""
    word = WORDS[language]
    member = Chat(dialogs, str(base + 1))
    await member.say("/lang")
    await member.say("English" if language == "en" else "tiếng việt")
    await member.say("/start")
    assert member.pending is not None
    await member.say(word["yes"])  # the consent question, answered in words
    await member.say("/register")
    picker = await member.say("Lào Cai")
    if picker.options:  # the agency's name as offered in the person's language, typed
        await member.say(next(o for o in picker.options if "Lào Cai" in o))
    await member.say("NGUYỄN VĂN AN" if language == "vi" else "LÊ THỊ HÀ")
    await member.say("Chánh Văn phòng")
    await member.say("Spokesperson" if language == "en" else "người phát ngôn")
    await member.say(f"09{base:02d}345678")
    await member.say("Do not publish (default)" if language == "vi" else "không công bố (mặc định)")
    await member.say(word["skip"])
    await member.say("an@laocai.gov.vn")
    await member.say(word["edit"])  # the summary
    await member.say("Email")
    await member.say("an.nv@laocai.gov.vn")
    done = await member.say(word["ok"])
    assert done.texts[-1].startswith(("Đã đăng ký #", "Registered #")), done.texts
    await member.say("/update")
    await member.say("Role" if language == "vi" else "vai trò")  # the other language's label
    await member.say("Head" if language == "vi" else "người đứng đầu")
    await member.say(word["no"])
    await member.say("/update")
    await member.say("Publish mobile" if language == "vi" else "công bố số di động")
    await member.say("đồng ý công bố" if language == "en" else "I agree to publish it")

    # Re-confirmation asked by /confirm (the scheduled prompt asks the same question).
    await member.say("/confirm")
    await member.say(
        "I am no longer in this role" if language == "vi" else "tôi không còn đảm nhiệm vai trò này"
    )
    await member.say(word["no"])
    await member.say("/withdraw")
    await member.say(word["no"])
    await member.say("/erase")
    await member.say(word["no"])

    staff = Chat(dialogs, str(base + 2))
    await grant(dialogs.db, staff.identity, "staff")
    await staff.say("/lang")
    await staff.say("English" if language == "en" else "Tiếng Việt")
    await staff.say("/start")
    await staff.say("I agree" if language == "vi" else "tôi đồng ý")
    await staff.say("/find Trần Văn")
    await staff.say("Next ▶" if language == "en" else "trang sau")
    await staff.say("/agency Hà")
    assert staff.pending is not None
    await staff.say(staff.pending.options[0].label.upper())
    await staff.say("/export")
    await staff.say("CSV")
    await staff.say("/register")
    await staff.say("Hà Nội")
    await staff.say("Thành phố Hà Nội")
    for typed in ("Trần Văn Ba", "Chuyên viên", "Press contact", "0988 111 999", "skip", "b@x.vn"):
        await staff.say(typed)
    await staff.say(word["ok"])  # a duplicate of a listed person: update it?
    await staff.say(word["no"])
    await staff.send(
        Incoming("file", file_name="list.csv", file_content=csv_list(), file_size=len(csv_list()))
    )
    await staff.say(word["no"])
    await staff.say("/retire 1")
    await staff.say(word["no"])
    # A list naming no agency: which agency is asked; then the claims waiting for a decision.
    no_agency = "Họ và tên,Chức vụ,Di động\nĐinh Văn Tư,Chuyên viên,0977 000 222\n".encode()
    await staff.send(
        Incoming("file", file_name="ds.csv", file_content=no_agency, file_size=len(no_agency))
    )
    await staff.say("Hà")  # several agencies: the picker
    await staff.say("/cancel")
    await staff.say("/claims")
    await staff.say("1")
    await staff.say("/cancel")
    # A broadcast to the provinces (a focal point on Telegram receives it), cancelled at the
    # preview; then one to an agency typed by name, cancelled at its text.
    await grant(dialogs.db, f"telegram:{base + 4}", "focal", agency="Lào Cai")
    await staff.say("/broadcast")
    await staff.say("A kind of agency" if language == "vi" else "một loại cơ quan")
    await staff.say("Province" if language == "vi" else "tỉnh")
    await staff.say("Họp trực tuyến lúc 9:00 thứ Hai.")
    assert staff.pending is not None and len(staff.pending.options) >= 2
    await staff.say("Cancel" if language == "vi" else "hủy")
    await staff.say("/broadcast")
    await staff.say("One agency" if language == "vi" else "một cơ quan")
    await staff.say("Lào Cai")
    await staff.say("/cancel")
    # A campaign opened from the chat, declined at its confirmation.
    await staff.say("/campaign")
    await staff.say("Open a new campaign" if language == "vi" else "mở đợt mới")
    await staff.say("31/12/2099")
    await staff.say(word["no"])

    # /invite: the agency picker, then the purpose typed as its label.
    await staff.say("/invite")
    await staff.say("Hà")
    assert staff.pending is not None
    await staff.say(staff.pending.options[0].label)
    await staff.say("Name a focal point" if language == "en" else "cử cán bộ đầu mối")
    # A focal-point invitation opened by someone new: the offer, declined in words.
    token = await invitation(dialogs.db, "Lào Cai", "focal")
    newcomer = Chat(dialogs, str(base + 4))
    await newcomer.say(f"/lang {language}")
    await newcomer.say(f"/start {token}")
    await newcomer.say(word["yes"])  # the consent question
    await newcomer.say(word["no"])  # the offer to be the focal point

    other = Chat(dialogs, str(base + 3), channel="telegram")
    code = (await member.say("/link")).texts[0].split("/link ")[1].split()[0]
    await other.say(f"/link {code}")
    await other.say(word["no"])


CATALOG_TEXTS = {text for language in LANGUAGES for text in catalog(language).values()}


def _typings(label: str) -> Iterator[str]:
    yield label
    yield label.upper()
    yield label.lower()
    yield f"  {label}. "
    yield f"“{label}”"


async def test_every_option_of_every_question_is_read_from_its_typed_label(
    dialogs: Dialogs, questions: list[Question]
) -> None:
    await colleagues(dialogs.db)
    await listed(dialogs.db, agency="Hà Nội", full_name="Trần Văn Ba", mobile="0988 111 998")
    # An imported record someone claims: the claims queue has something to decide.
    cu = await listed(
        dialogs.db, agency="Hà Nội", full_name="Đỗ Văn Cư", mobile="0977 000 111", source="import"
    )
    claimant = await accounts.ensure_account(dialogs.db.uow(), "zalo", "77")
    await claims.file_claim(
        dialogs.db.uow(), claimant, cu.id, full_name="Đỗ Văn Cư", mobile="0977 000 111"
    )
    await _walk(dialogs, "vi", 10)
    await _walk(dialogs, "en", 20)

    # The same option's label in each language, to type it in the other one.
    labels: dict[tuple[str, str, str], set[str]] = {}
    for q in questions:
        for option in q.options:
            labels.setdefault((q.flow, q.step, option.key), set()).add(option.label)
    for q in questions:
        for number, option in enumerate(q.options, start=1):
            typed_forms = [str(number), f"{number}."]
            # Labels from the text catalogs are read in either language; names of agencies
            # (pickers fill them from the agency catalog) in the person's language only.
            key = (q.flow, q.step, option.key)
            same = labels[key] if option.label in CATALOG_TEXTS else {option.label}
            for label in same:
                typed_forms.extend(_typings(label))
            for typed in typed_forms:
                answer = read_answer(Incoming.parse_text(typed), _asked(q))
                assert answer.option == option.key, (q.flow, q.step, q.language, typed)

    declared = {(name, step.value) for name, flow in FLOWS.items() for step in flow.steps}
    covered = {(q.flow, q.step) for q in questions} | FREE_TEXT
    assert declared - covered == set(), "questions never asked (or free text not listed)"
    assert {q.language for q in questions} == {"vi", "en"}


def _asked(question: Question) -> Asked:
    return Asked(1, "?", question.options)
