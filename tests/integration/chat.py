"""A person talking to the real dialog engine, the way any channel drives it: the engine's
driver of the scenarios (see ``tests/e2e/scenarios/driver.py``).

Each message is handled in its own unit of work, committed when the engine returns, as the
channels do; the call returns the engine's replies to that one message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from bot.dialogs.engine import Dialogs
from bot.dialogs.io import ChatNotice, Incoming, Reply
from bot.pipeline.jobs import Deliver, run_pending
from registry.roster.intake import journal
from tests.e2e.scenarios.driver import Abilities, Answer, Received, pick_label

ENGINE = Abilities(
    buttons=True, contact_button=True, files=True, stickers=True, blank_lines=True, groups=True
)


@dataclass
class Chat:
    dialogs: Dialogs
    user_id: str
    channel: str = "console"
    name: str | None = "Người thử"
    can: Abilities = ENGINE
    last: Answer = field(default_factory=lambda: Answer([]))
    pending: Reply | None = None  # the latest question with options
    notices: list[ChatNotice] = field(default_factory=list)  # for other chats, last message
    group: bool = False  # talking in a group chat the bot is in

    @property
    def external_id(self) -> str:
        return self.user_id

    @property
    def identity(self) -> str:
        return f"{self.channel}:{self.user_id}"

    async def send(self, incoming: Incoming) -> Answer:
        """Any incoming message, as a channel would hand it over; an import it queued is run
        at once, as the server's job runner would, and what it tells this chat is part of the
        answer."""
        if self.group:
            incoming = replace(incoming, group=True)
        queued = journal.queued_here()
        async with self.dialogs.db.uow() as uow:
            outcome = await self.dialogs.handle(
                uow, self.channel, self.user_id, self.user_id, incoming
            )
            await uow.commit()
        replies = list(outcome.replies)
        if journal.queued_here() != queued:
            await run_pending(self.dialogs.db, self.dialogs.settings, self._told(replies))
        self.notices = list(outcome.notices)
        asking = [reply for reply in replies if reply.options]
        if asking:
            self.pending = asking[-1]
        self.last = Answer(
            [reply.text for reply in replies],
            options=[option.label for option in asking[-1].options] if asking else [],
            documents=[
                Received(reply.document.name, reply.document.content)
                for reply in replies
                if reply.document is not None
            ],
            asks_contact=any(reply.ask_contact for reply in replies),
            question=asking[-1] if asking else None,
        )
        return self.last

    def _told(self, replies: list[Reply]) -> Deliver:
        async def deliver(
            channel: str, chat_id: str, user_id: str, told: Sequence[Reply], language: str
        ) -> None:
            if (channel, chat_id) == (self.channel, self.user_id):
                replies.extend(told)

        return deliver

    @property
    def text(self) -> str:
        """Everything the bot answered to the last message."""
        return str(self.last)

    @property
    def documents(self) -> list[Received]:
        return self.last.documents

    async def say(self, text: str) -> Answer:
        return await self.send(Incoming.parse_text(text, display_name=self.name))

    def _question(self, on: Answer | None) -> Reply:
        question = on.question if on is not None else self.pending
        assert isinstance(question, Reply), "no question with options was asked"
        return question

    async def pick(self, label: str, *, on: Answer | None = None) -> Answer:
        question = self._question(on)
        option = question.options[pick_label([o.label for o in question.options], label)]
        return await self.forge(option.key, on=on)

    async def forge(self, key: str, *, on: Answer | None = None) -> Answer:
        choice = f"{self._question(on).question}:{key}"
        return await self.send(Incoming("choice", choice=choice, display_name=self.name))

    async def share_contact(self, phone: str, *, own: bool = True) -> Answer:
        return await self.send(
            Incoming("contact", contact_phone=phone, contact_is_own=own, display_name=self.name)
        )

    async def send_file(self, name: str, content: bytes) -> Answer:
        return await self.send(
            Incoming(
                "file",
                file_name=name,
                file_content=content,
                file_size=len(content),
                display_name=self.name,
            )
        )

    async def send_sticker(self) -> Answer:
        return await self.send(Incoming("unsupported", display_name=self.name))

    async def consent(self) -> None:
        await self.say("/start")
        await self.pick("Tôi đồng ý")
