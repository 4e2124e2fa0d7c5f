"""A core with the real discord.py client on the local fake gateway and REST API.

`discord_env(tmp_path)` starts `FakeDiscord`, builds the core as `govbot run` does with
DISCORD_TOKEN set (endpoints pointed at the fake, its one guild configured), runs the
DiscordAdapter until READY and command sync are done, and yields a `DiscordEnv` that
sends interactions and waits for what the client answered. Sync tests with their own
event loop use `start_discord()` / `env.close()`.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.adapters.discord import DiscordAdapter
from bot.app import Core
from tests.harness.core import halt, serve
from tests.harness.fakes.discord_gateway import Call, FakeDiscord, FakeUser
from tests.harness.platform import PlatformEnv, launch, opened
from tests.harness.waiting import TIMEOUT

# Fast card refreshes and no wait for guilds the fake never sends; a value of None
# given in `adapter_options` keeps the adapter's production default instead.
ADAPTER_OPTIONS: Mapping[str, Any] = {
    "refresh_interval": 0.02,
    "client_options": {"guild_ready_timeout": 0.05},
}


def discord_settings(fake: FakeDiscord, **extra: Any) -> dict[str, Any]:
    """The `discord` settings section pointing at `fake` and its guild."""
    return {
        "token": "x",
        "api_base_url": fake.api_base_url,
        "gateway_url": fake.gateway_url,
        "guild_ids": [fake.guild_id],
        **extra,
    }


def discord_adapter(core: Core, options: Mapping[str, Any] | None = None) -> DiscordAdapter:
    chosen = {**ADAPTER_OPTIONS, **(options or {})}
    return DiscordAdapter(core, **{k: v for k, v in chosen.items() if v is not None})


def discord_text(call: Call) -> str:
    """Content plus embed descriptions of a REST call's body, markdown escapes dropped."""
    body = call.json or {}
    embeds = body.get("embeds") or []
    text = (body.get("content") or "") + "".join(e.get("description") or "" for e in embeds)
    return text.replace("\\", "")  # raw payloads are checked apart


def discord_buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The buttons of a message body (all rows)."""
    return [c for row in message.get("components") or [] for c in row["components"]]


@dataclass
class DiscordEnv(PlatformEnv):
    fake: FakeDiscord
    adapter: DiscordAdapter
    adapter_options: Mapping[str, Any] | None = None
    users: dict[str, FakeUser] = field(default_factory=dict)

    def user(self, name: str, *, admin: bool = False) -> FakeUser:
        """The guild member `name`, created on first use (`admin` then gives the admin role)."""
        if name not in self.users:
            self.users[name] = self.fake.add_user(name, admin=admin)
        return self.users[name]

    async def command(self, name: str, user: FakeUser, **options: Any) -> tuple[str, Call]:
        """Send a slash command; its token and the interaction callback call."""
        payload = self.fake.slash(name, user, options)
        await self.fake.send_interaction(payload)
        return payload["token"], await self.fake.wait_callback(payload["id"], timeout=TIMEOUT)

    async def original(self, token: str) -> Call:
        """The PATCH that replaced the loading message."""
        calls = await self.fake.wait_for(
            "PATCH", rf"/webhooks/{self.fake.app_id}/{token}/messages/@original", timeout=TIMEOUT
        )
        return calls[0]

    async def ask(self, name: str, user: FakeUser, **options: Any) -> tuple[str, Call]:
        """Send a slash command; its token and the PATCH that answered it."""
        token, _ = await self.command(name, user, **options)
        return token, await self.original(token)

    async def followups(self, token: str, count: int = 1) -> list[Call]:
        return await self.fake.wait_for(
            "POST", rf"/webhooks/{self.fake.app_id}/{token}", count=count, timeout=TIMEOUT
        )

    async def propose(self, user: FakeUser, title: str = "Pick a logo", **options: Any) -> dict:  # type: ignore[type-arg]
        """Open a proposal; the card message as the fake stores it."""
        options.setdefault("choices", "yes | no")
        token, _ = await self.ask("propose", user, title=title, **options)
        return self.fake.messages[self.fake.original[token]]

    async def restart(self) -> None:
        """Stop the client and start a new one on the same core and database."""
        await halt(self.adapter, self.task)
        self.adapter = discord_adapter(self.core, self.adapter_options)
        self.core.adapters["discord"] = self.adapter
        self.task = await serve(self.adapter)


async def start_discord(
    tmp_path: Path,
    fake: FakeDiscord | None = None,
    *,
    discord: Mapping[str, Any] | None = None,
    adapter_options: Mapping[str, Any] | None = None,
    **core_options: Any,
) -> DiscordEnv:
    """Start the fake (unless given), the core and the client; `close()` undoes it all.

    `discord` adds to the settings section, `adapter_options` to the adapter's test
    tuning (`ADAPTER_OPTIONS`); `core_options` go to `core_env` (see `start_telegram`),
    plus `timeout` for the client to get ready.
    """
    parts = await launch(
        tmp_path,
        "discord",
        fake,
        FakeDiscord,
        lambda fake: discord_settings(fake, **(discord or {})),
        lambda core: discord_adapter(core, adapter_options),
        **core_options,
    )
    return DiscordEnv(*parts, adapter_options=adapter_options)


def discord_env(
    tmp_path: Path, fake: FakeDiscord | None = None, **options: Any
) -> AbstractAsyncContextManager[DiscordEnv]:
    """`start_discord` as a context manager (same options)."""
    return opened(start_discord(tmp_path, fake, **options))
