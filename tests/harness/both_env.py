"""ONE core running the Telegram and the Discord adapter side by side on one database,
as `govbot run` does with both tokens set, each connected to its local fake.

By default the fakes' group chat and guild channel are one community ("Builders"), so
what happens on one platform shows on the other.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.app import Core
from tests.harness.core import core_env, serve
from tests.harness.discord_env import DiscordEnv, discord_adapter, discord_settings
from tests.harness.fakes.discord_gateway import FakeDiscord
from tests.harness.fakes.telegram_api import FakeTelegramAPI
from tests.harness.telegram_env import GROUP, TelegramEnv, telegram_adapter, telegram_settings


@dataclass
class BothEnv:
    core: Core
    telegram: TelegramEnv
    discord: DiscordEnv


def community(name: str, dc: FakeDiscord) -> dict[str, str]:
    """A `[[communities]]` entry joining the fake guild's channel and the Telegram group."""
    return {
        "name": name,
        "discord_guild_id": str(dc.guild_id),
        "discord_channel_id": str(dc.channel_id),
        "telegram_chat_id": str(GROUP),
    }


@contextlib.asynccontextmanager
async def both_env(
    tmp_path: Path,
    tg_fake: FakeTelegramAPI,
    *,
    community_name: str | None = "Builders",
    **overrides: Any,
) -> AsyncIterator[BothEnv]:
    """Both adapters ready on one core; `community_name=None` leaves the spaces apart."""
    async with AsyncExitStack() as stack:
        dc_fake = await stack.enter_async_context(FakeDiscord())
        if community_name is not None:
            overrides.setdefault("communities", [community(community_name, dc_fake)])
        core = await stack.enter_async_context(
            core_env(
                tmp_path,
                telegram=telegram_settings(tg_fake),
                discord=discord_settings(dc_fake),
                **overrides,
            )
        )
        tg_adapter = core.adapters["telegram"] = telegram_adapter(core)
        dc_adapter = core.adapters["discord"] = discord_adapter(core)
        telegram = TelegramEnv(tg_fake, core, tg_adapter, await serve(tg_adapter))
        stack.push_async_callback(telegram.close)
        discord = DiscordEnv(dc_fake, core, dc_adapter, await serve(dc_adapter))
        stack.push_async_callback(discord.close)
        yield BothEnv(core, telegram, discord)
