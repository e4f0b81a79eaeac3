"""A scripted person talking to the real dialog engine, the way any channel would drive it."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.dialogs.engine import Dialogs
from bot.dialogs.io import Document, Incoming, Reply


@dataclass
class Chat:
    dialogs: Dialogs
    user_id: str
    channel: str = "console"
    name: str | None = "Người thử"
    last: list[Reply] = field(default_factory=list)
    pending: Reply | None = None

    async def send(self, incoming: Incoming) -> str:
        """Any incoming message, as a channel would hand it over."""
        return await self._send(incoming)

    async def _send(self, incoming: Incoming) -> str:
        async with self.dialogs.db.uow() as uow:
            outcome = await self.dialogs.handle(
                uow, self.channel, self.user_id, self.user_id, incoming
            )
            await uow.commit()
        self.last = outcome.replies
        for reply in self.last:
            if reply.question is not None:
                self.pending = reply
        return self.text

    @property
    def text(self) -> str:
        """Everything the bot answered to the last message, options included."""
        parts = []
        for reply in self.last:
            parts.append(reply.text)
            parts += [f"[{o.label}]" for o in reply.options]
        return "\n".join(parts)

    async def say(self, text: str) -> str:
        return await self._send(Incoming.parse_text(text, display_name=self.name))

    async def pick(self, label: str) -> str:
        """Press the option of the pending question whose label contains ``label``."""
        assert self.pending is not None, "no question is pending"
        matches = [o for o in self.pending.options if label.lower() in o.label.lower()]
        assert len(matches) == 1, (label, [o.label for o in self.pending.options])
        return await self.press(self.pending, matches[0].key)

    async def press(self, reply: Reply, key: str) -> str:
        choice = f"{reply.question}:{key}"
        return await self._send(Incoming("choice", choice=choice, display_name=self.name))

    async def share_contact(self, phone: str, *, own: bool = True) -> str:
        return await self._send(
            Incoming("contact", contact_phone=phone, contact_is_own=own, display_name=self.name)
        )

    async def send_file(self, name: str, content: bytes) -> str:
        return await self._send(
            Incoming(
                "file",
                file_name=name,
                file_content=content,
                file_size=len(content),
                display_name=self.name,
            )
        )

    @property
    def documents(self) -> list[Document]:
        return [reply.document for reply in self.last if reply.document is not None]

    async def send_sticker(self) -> str:
        return await self._send(Incoming("unsupported", display_name=self.name))

    async def consent(self) -> None:
        await self.say("/start")
        await self.pick("Tôi đồng ý")
