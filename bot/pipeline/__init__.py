"""One pipeline for every channel: per-chat order, de-duplication, handling, delivery, apology.

How a channel uses it (see :mod:`bot.pipeline.protocol` for the types):

* It registers its :class:`Transport` with :meth:`Pipeline.add`.
* A webhook turns a body into an :class:`Inbound` and ``await pipeline.accept(inbound)``: once
  that returns the update is stored, and the platform may have its 200; it is handled in the
  background. A polling loop or the terminal ``await pipeline.handle(inbound)``: stored, then
  handled, returning once answered.
* Whoever wants to know when an update is done (the tests) passes ``on_done`` hooks.

The server wraps it in :func:`serving` (resume at start, prune while running, finish at exit).
"""

from bot.pipeline.core import Pipeline
from bot.pipeline.protocol import Done, Inbound, Received, Result, Status, Transport
from bot.pipeline.upkeep import serving

__all__ = [
    "Done",
    "Inbound",
    "Pipeline",
    "Received",
    "Result",
    "Status",
    "Transport",
    "serving",
]
