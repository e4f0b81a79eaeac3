"""A person chatting with the real Telegram bot, on top of the fake Bot API server's helpers.

``await person.say("/register")`` types a message, ``await person.press("Tỉnh Lào Cai")``
presses the button with that label under the bot's latest message that still shows buttons,
``await person.share_contact(own=True)`` uses the "share my phone number" button. Each returns
the bot's answer to that one update: every message the bot sent in the chat while handling it,
as an :class:`Answer` (a string of all their texts, one per line, with the messages attached).

How the helper knows the bot has finished answering: the bot's pipeline reports every update
it is done with (its messages sent) to its completion hook, :meth:`FakeTelegram.on_done`, and
:class:`Processed` reads those reports. A person therefore waits for exactly their answer,
neither a fixed number of messages nor a quiet period, and an answer with one message too many
or too few shows up in the test at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tests.e2e.fake_telegram import DEFAULT_TIMEOUT, FakeTelegram, FakeUser, SentMessage


class Processed:
    """The ids of the updates the bot has finished handling (answers sent), as its pipeline
    reported them to the fake (a bot started with ``on_done=[fake.on_done]``, as
    :func:`~tests.e2e.fake_telegram.bot_running` starts it)."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake

    def install(self, monkeypatch: pytest.MonkeyPatch | None = None) -> Processed:
        """Nothing left to install (the completion hook reports); kept for older callers."""
        return self

    @property
    def ids(self) -> set[int]:
        return {update_id for update_id, _ in self.fake.handled}

    async def wait(self, update_id: int, seconds: float = DEFAULT_TIMEOUT) -> None:
        try:
            await self.fake.wait_for(lambda: update_id in self.ids, seconds)
        except TimeoutError:
            raise AssertionError(f"update {update_id} was not handled in {seconds} s") from None


class Answer(str):
    """What the bot sent back to one update: all texts joined by new lines, and the messages."""

    messages: list[SentMessage]

    def __new__(cls, messages: list[SentMessage]) -> Answer:
        answer = super().__new__(cls, "\n".join(m.text for m in messages))
        answer.messages = list(messages)
        return answer

    @property
    def texts(self) -> list[str]:
        return [m.text for m in self.messages]

    @property
    def question(self) -> SentMessage:
        """The message of this answer that came with buttons (a question with options), even
        if they have gone since."""
        asking = [m for m in self.messages if "inline_keyboard" in (m.reply_markup or {})]
        assert asking, f"no buttons in the answer {self.texts}"
        return asking[-1]

    @property
    def labels(self) -> list[str]:
        """The buttons under the answer's question ([] when it asks nothing with options)."""
        asking = [m for m in self.messages if m.buttons]
        return asking[-1].labels if asking else []


@dataclass
class Person:
    """Someone in a private chat with the bot."""

    fake: FakeTelegram
    processed: Processed
    user: FakeUser
    answers: list[Answer] = field(default_factory=list)

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def identity(self) -> str:
        return f"telegram:{self.user.id}"

    @property
    def chat(self) -> list[SentMessage]:
        """Every message the bot has sent in this chat, oldest first."""
        return self.fake.messages(self.user.chat_id)

    async def _answer(self, update_id: int) -> Answer:
        await self.processed.wait(update_id)
        unread = self.fake.unread(self.user.chat_id)
        if unread:
            await self.fake.next_messages(self.user.chat_id, len(unread), 1)
        answer = Answer(unread)
        self.answers.append(answer)
        return answer

    async def say(self, text: str) -> Answer:
        return await self._answer(await self.user.send(text))

    def latest_question(self) -> SentMessage:
        """The bot's latest message in the chat that still shows buttons."""
        for message in reversed(self.chat):
            if message.buttons:
                return message
        raise AssertionError("no message with buttons in the chat")

    async def press(self, label: str, *, on: SentMessage | None = None) -> Answer:
        """Press the button ``label`` (exactly, else the only one containing it) under ``on``,
        by default the latest message with buttons."""
        message = on or self.latest_question()
        labels = message.labels
        if label not in labels:
            matching = [text for text in labels if label.lower() in text.lower()]
            assert len(matching) == 1, f"button {label!r} is not one of {labels}"
            label = matching[0]
        return await self._answer(await self.user.press(message, label))

    async def press_data(self, data: str, *, on: SentMessage | None = None) -> Answer:
        """A callback query with any data, as a modified client could send."""
        message = on or self.latest_question()
        return await self._answer(await self.user.press_data(message, data))

    async def share_contact(self, phone: str = "+84912345678", *, own: bool = True) -> Answer:
        return await self._answer(await self.user.share_contact(phone, own=own))

    async def send_sticker(self) -> Answer:
        return await self._answer(await self.user.send_sticker())

    async def send_photo(self) -> Answer:
        return await self._answer(await self.user.send_photo())

    async def send_document(self, name: str, content: bytes, *, size: int | None = None) -> Answer:
        return await self._answer(await self.user.send_document(name, content, size=size))

    async def edit(self, text: str) -> Answer:
        return await self._answer(await self.user.edit(text))


def person(
    fake: FakeTelegram,
    processed: Processed,
    user_id: int,
    first_name: str = "An",
    language_code: str = "vi",
) -> Person:
    return Person(fake, processed, fake.user(user_id, first_name, language_code))
