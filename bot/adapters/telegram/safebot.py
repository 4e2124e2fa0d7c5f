"""An `ExtBot` whose getUpdates survives one update python-telegram-bot cannot parse.

PTB builds the whole getUpdates batch with `Update.de_list`; if any one update raises
(a field shape the library does not expect), the call fails, the Updater retries with
the same offset, Telegram returns the same batch, and polling stalls for good. Here each
raw update is tried on its own first; one that does not parse is logged (update_id and
error type only — neither its content nor the token) and replaced by a bare
`{"update_id": N}`, which PTB turns into an empty `Update` that no handler matches, so
the offset moves past it and the rest of the batch is served as usual.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram.ext import ExtBot

log = logging.getLogger(__name__)

GET_UPDATES = "getUpdates"


def sanitize_updates(raw: list[Any], bot: Any = None) -> list[Any]:
    """Every raw update that parses, as is; one that does not, as a bare update_id.

    An entry without an integer update_id cannot advance the offset either way and
    would break PTB's offset arithmetic, so it is dropped (and logged)."""
    kept: list[Any] = []
    for item in raw:
        update_id = item.get("update_id") if isinstance(item, dict) else None
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            log.warning("telegram dropped an update without a valid update_id")
            continue
        try:
            Update.de_json(item, bot)  # copies: `item` stays raw
        except Exception as error:  # any parser failure: skip this one update only
            log.warning(
                "telegram skipped an unparseable update update_id=%s error=%s",
                update_id,
                type(error).__name__,
            )
            kept.append({"update_id": update_id})
            continue
        kept.append(item)
    return kept


class SafeExtBot(ExtBot[Any]):
    """`ExtBot` with the per-update getUpdates parsing described in the module docstring.

    `set_known` (called by the update feed) names updates already in hand: while some are
    being handled the feed polls from the lowest of them, so Telegram sends those again
    with every poll; they are dropped here, before any parsing."""

    _known: Callable[[int], bool] | None = None

    def set_known(self, known: Callable[[int], bool]) -> None:
        self._known = known  # PTB objects are frozen, except for underscored attributes

    async def _post(self, endpoint: str, data: Any = None, **kwargs: Any) -> Any:
        result = await super()._post(endpoint, data, **kwargs)
        if endpoint == GET_UPDATES and isinstance(result, list):
            if (known := self._known) is not None:
                result = [item for item in result if not _known(item, known)]
            return sanitize_updates(result, self)
        return result


def _known(item: Any, known: Callable[[int], bool]) -> bool:
    update_id = item.get("update_id") if isinstance(item, dict) else None
    return isinstance(update_id, int) and known(update_id)
