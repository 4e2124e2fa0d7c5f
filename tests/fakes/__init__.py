"""Local fakes of the outside services govbot talks to, for tests without the internet.

* `telegram_api.FakeTelegramAPI` — the Telegram Bot API on 127.0.0.1 (aiohttp), for
  the real python-telegram-bot `Application` via `base_url`.
"""

from tests.fakes.telegram_api import Call, FakeTelegramAPI

__all__ = ["Call", "FakeTelegramAPI"]
