"""A broadcast to 10,000 Telegram chats through the outbox, against a fake Bot API that enforces
30 messages a second (429 with retry_after beyond it, like Telegram's flood control).

The sender is the real thing: ``spokes tick`` in a process of its own, python-telegram-bot
talking HTTP to the fake server that runs in this process. Printed: the achieved rate against
the limit (the goal: within 10%), the 429s answered, messages lost or doubled (the goal: none),
and the sender's resident memory sampled along the way and at its peak (the goal: flat).

    .venv/bin/python bench/broadcast.py                      # 10,000 chats, about 6 minutes
    .venv/bin/python bench/broadcast.py --recipients 1500    # a quick look
    .venv/bin/python bench/broadcast.py --rate 30            # paced at the very limit

The sender is paced at ``--rate`` (default 28, about 7% under the limit): requests leave evenly
spaced, but reach the server with the network's jitter, and paced at exactly 30 a second some
seconds then hold 31 and are refused; each 429 stops the channel for its ``retry_after``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.state import broadcasts
from registry import catalog
from registry.actors import Actor
from registry.db import upgrade
from registry.models import Account, AccountRole, Agency
from registry.uow import Database
from tests.e2e.fake_telegram import TOKEN, FakeTelegram

LIMIT = 30  # messages a second, enforced by the fake
FIRST_CHAT = 500_000


async def prepare(url: str, recipients: int) -> None:
    db = Database(url)
    try:
        await upgrade(db.engine)
        await catalog.load_edition(db.uow(), Actor.system("bench"), "2025")
        async with db.uow() as uow:
            hanoi = await uow.session.scalar(select(Agency).where(Agency.code == "tp-ha-noi"))
            assert hanoi is not None
            uow.session.add_all(
                Account(
                    channel="telegram",
                    external_id=str(FIRST_CHAT + n),
                    role=AccountRole.focal,
                    agency_id=hanoi.id,
                    language="vi",
                )
                for n in range(recipients)
            )
            await uow.commit()
        await broadcasts.create(
            db.uow(),
            Actor.system("bench"),
            broadcasts.Segment(broadcasts.SegmentKind.focal),
            "Kính gửi các đồng chí: họp trực tuyến lúc 9:00 thứ Hai.",
            organisation="CỤC BÁO CHÍ",
            default_language="vi",
            urgent=True,  # whatever the hour of the run
        )
    finally:
        await db.dispose()


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


async def main(recipients: int, rate: float) -> None:
    folder = Path(tempfile.mkdtemp(prefix="spokes-bench-broadcast-"))
    url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    try:
        await prepare(url, recipients)
        async with FakeTelegram.running() as fake:
            fake.max_rate = LIMIT
            script = shutil.which("spokes", path=os.path.dirname(sys.executable)) or "spokes"
            env = {k: v for k, v in os.environ.items() if not k.startswith("SPOKES_")}
            env.update(
                SPOKES_DATABASE_URL=url,
                SPOKES_TELEGRAM_TOKEN=TOKEN,
                SPOKES_TELEGRAM_BASE_URL=fake.base_url,
                SPOKES_TELEGRAM_MAX_RATE=str(LIMIT),
                SPOKES_OUTBOX_TELEGRAM_RATE=str(rate),
            )
            started = time.monotonic()
            sender = subprocess.Popen(  # noqa: ASYNC220 (returns at once)
                [script, "tick"],
                cwd=folder,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,  # a warning per 429; they are counted below
                text=True,
            )
            samples: list[tuple[int, float]] = []
            marks = [int(recipients * share) for share in (0.1, 0.25, 0.5, 0.75, 0.9)]
            while sender.poll() is None:
                await asyncio.sleep(0.2)
                done = sum(len(messages) for messages in fake.sent.values())
                if marks and done >= marks[0]:
                    marks.pop(0)
                    memory = rss_mb(sender.pid)
                    if memory is not None:
                        samples.append((done, memory))
            elapsed = time.monotonic() - started
            output = sender.stdout.read() if sender.stdout else ""
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            per_chat = [len(fake.sent.get(FIRST_CHAT + n, [])) for n in range(recipients)]
            sends = [call.at for call in fake.calls if call.method == "sendMessage"]
        delivered = sum(per_chat)
        achieved = delivered / elapsed
        print(f"recipients            {recipients}; sender paced at {rate:g} msg/s")
        print(f"spokes tick           exit {sender.returncode}: {output.strip()}")
        print(f"elapsed               {elapsed:.1f} s (process start to exit)")
        print(
            f"achieved rate         {achieved:.2f} msg/s; limit {LIMIT}; "
            f"ratio {achieved / LIMIT:.3f}"
        )
        steady = (len(sends) - 1) / (sends[-1] - sends[0]) if len(sends) > 1 else 0.0
        print(
            f"steady rate           {steady:.2f} msg/s from the first request to the last; "
            f"ratio {steady / LIMIT:.3f}"
        )
        print(f"429 answered          {fake.refused[429]}")
        print(f"lost                  {sum(1 for n in per_chat if n == 0)}")
        print(f"doubled               {sum(1 for n in per_chat if n > 1)}")
        print("sender RSS            " + ", ".join(f"{mb:.0f} MB at {n}" for n, mb in samples))
        print(f"sender peak RSS       {peak:.0f} MB")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=28.0)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.recipients, arguments.rate))
