"""The running bot as the web server, the metrics and the signing page see it.

`bot.app.Core` satisfies this protocol; those modules type against it instead of
importing `bot.app`, which builds them, so the import graph stays one-way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from bot.adapters.base import Adapter
    from bot.settings import Settings
    from handlers.core.deps import Deps
    from handlers.core.dispatch import Dispatcher
    from handlers.core.types import Reply
    from storage import Storage


class Runtime(Protocol):
    settings: Settings
    storage: Storage
    deps: Deps
    dispatcher: Dispatcher
    adapters: dict[str, Adapter]
    metrics: Any  # bot.metrics.Metrics, once installed

    async def route(self, replies: list[Reply]) -> None: ...
