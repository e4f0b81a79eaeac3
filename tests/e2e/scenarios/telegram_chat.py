"""The Telegram driver of the scenarios: a person of ``telegram_person.py`` on the fake Bot API.

Options are inline buttons (``pick`` presses one, by default under the latest message that still
shows buttons), the contact button shares a phone number, files are documents. The person waits
for exactly the answer to each update (``Processed``), so the answer is complete on return.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.e2e.fake_telegram import FakeTelegram, SentMessage
from tests.e2e.scenarios.driver import (
    Abilities,
    Answer,
    Received,
    import_failed,
    import_started,
)
from tests.e2e.telegram_person import Answer as Sent
from tests.e2e.telegram_person import Person

TELEGRAM = Abilities(
    buttons=True, contact_button=True, files=True, stickers=True, blank_lines=True, groups=True
)


@dataclass
class TelegramChat:
    person: Person
    fake: FakeTelegram
    channel: str = "telegram"
    can: Abilities = TELEGRAM

    @property
    def external_id(self) -> str:
        return str(self.person.id)

    @property
    def identity(self) -> str:
        return self.person.identity

    async def _answer(self, sent: Sent) -> Answer:
        messages = list(sent.messages)
        if messages and import_started(messages[-1].text):
            # The import runs as a job in the bot: its summary, then its report, come later.
            chat_id = self.person.user.chat_id
            [told] = await self.fake.next_messages(chat_id)
            messages.append(told)
            if not import_failed(told.text):
                messages += await self.fake.next_messages(chat_id)
            sent = Sent(messages)
        asking = [m for m in messages if m.buttons]
        return Answer(
            sent.texts,
            options=sent.labels,
            documents=[
                Received(m.document["file_name"], self.fake.files[m.document["file_id"]])
                for m in messages
                if m.document
            ],
            asks_contact=any(m.asks_contact for m in messages),
            question=asking[-1] if asking else None,
        )

    @staticmethod
    def _message(on: Answer | None) -> SentMessage | None:
        if on is None:
            return None
        assert isinstance(on.question, SentMessage), "that answer asked nothing with buttons"
        return on.question

    async def say(self, text: str) -> Answer:
        return await self._answer(await self.person.say(text))

    async def pick(self, label: str, *, on: Answer | None = None) -> Answer:
        return await self._answer(await self.person.press(label, on=self._message(on)))

    async def forge(self, key: str, *, on: Answer | None = None) -> Answer:
        message = self._message(on) or self.person.latest_question()
        # The question's number: the part before the colon of its buttons' data (as sent: the
        # buttons may be gone from the screen since).
        first = (message.reply_markup or {})["inline_keyboard"][0][0]
        question = first["callback_data"].partition(":")[0]
        return await self._answer(await self.person.press_data(f"{question}:{key}", on=message))

    async def share_contact(self, phone: str, *, own: bool = True) -> Answer:
        return await self._answer(await self.person.share_contact(phone, own=own))

    async def send_file(self, name: str, content: bytes) -> Answer:
        return await self._answer(await self.person.send_document(name, content))

    async def send_sticker(self) -> Answer:
        return await self._answer(await self.person.send_sticker())
