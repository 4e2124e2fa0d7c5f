"""Local fakes of the outside services govbot talks to, for tests without the internet.

* `telegram_api.FakeTelegramAPI` — the Telegram Bot API on 127.0.0.1 (aiohttp), for
  the real python-telegram-bot `Application` via `base_url`.
* `discord_gateway.FakeDiscord` — Discord's REST API and gateway on 127.0.0.1, for the
  real discord.py client.
* `openai_server.FakeOpenAI` — an OpenAI-compatible chat-completions endpoint.
"""

from tests.harness.fakes.telegram_api import Call, FakeTelegramAPI

__all__ = ["Call", "FakeTelegramAPI"]
