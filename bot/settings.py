"""The settings tree: defaults ← config/govbot.toml ← $GOVBOT_CONFIG ← environment.

pydantic-settings does the layering; the governance rules are the models handlers
define (`handlers.proposals.policy`), composed here. Secrets (tokens) come only from the
environment and are SecretStr, so they never print. A wrong or unknown key stops
start-up with a message naming it (`SettingsError`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from bot.communities import CommunityMapping
from bot.integrations.models import ArenaSettings
from bot.integrations.summaries import SummariesSettings
from bot.web_settings import WebSettings
from handlers.audit.policy import AuditPolicy
from handlers.core.ratelimit import LimitPolicy
from handlers.councils.policy import CouncilPolicy
from handlers.disputes.policy import DisputePolicy
from handlers.proposals.policy import Policy, ProposalPolicy, VotingPolicy
from handlers.reach.policy import ReachPolicy
from handlers.reach.roles.policy import RoleChecks, RoleRule, check_unique
from handlers.reputation.policy import ReputationPolicy
from handlers.rewards.policy import RewardsPolicy
from handlers.wallets.policy import WalletPolicy

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config" / "govbot.toml"

# Well-known variables read without the GOVBOT_ prefix , mapped into the tree.
PLAIN_ENV: dict[str, tuple[str, ...]] = {
    "DATABASE_URL": ("database_url",),
    "TELEGRAM_TOKEN": ("telegram", "token"),
    "TELEGRAM_API_BASE_URL": ("telegram", "api_base_url"),
    "TELEGRAM_MODE": ("telegram", "mode"),
    "TELEGRAM_WEBHOOK_URL": ("telegram", "webhook_url"),
    "TELEGRAM_WEBHOOK_SECRET": ("telegram", "webhook_secret"),
    "TELEGRAM_WEBHOOK_LISTEN": ("telegram", "webhook_listen"),
    "TELEGRAM_WEBHOOK_PORT": ("telegram", "webhook_port"),
    "TELEGRAM_ADMIN_USER_IDS": ("telegram", "admin_user_ids"),
    "TELEGRAM_HOME_CHAT_ID": ("telegram", "home_chat_id"),
    "DISCORD_TOKEN": ("discord", "token"),
    "DISCORD_GUILD_IDS": ("discord", "guild_ids"),
    "DISCORD_API_BASE_URL": ("discord", "api_base_url"),
    "DISCORD_GATEWAY_URL": ("discord", "gateway_url"),
    "DISCORD_SHARD_IDS": ("discord", "shard_ids"),
    "DISCORD_SHARD_COUNT": ("discord", "shard_count"),
    "ETH_RPC_URL": ("wallets", "rpc_url"),
}


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConsoleSettings(Section):
    user: str = Field(default="alice", description="who you are until /as <name>")
    admins: list[str] = Field(default_factory=lambda: ["admin"])
    community: str = Field(default="console", description="the console community's name")
    require_wallet: bool = Field(
        default=False, description="apply voting.require_wallet in the console chat too"
    )


class TelegramSettings(Section):
    token: SecretStr | None = None
    api_base_url: str = "https://api.telegram.org/bot"
    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = None
    admin_user_ids: list[str] = Field(default_factory=list)
    home_chat_id: str | None = Field(
        default=None, description="the group whose community private commands act on"
    )


class DiscordSettings(Section):
    token: SecretStr | None = None
    guild_ids: list[int] = Field(default_factory=list)
    api_base_url: str | None = None
    gateway_url: str | None = None
    shard_ids: list[int] | None = None
    shard_count: int | None = Field(default=None, ge=1)
    admin_role: str | None = None
    forum_channel_id: int | None = None
    home_guild_id: str | None = None
    # The privileged Message Content intent, only for /summary to read a thread's text.
    message_content: bool = False


class SchedulerSettings(Section):
    close_interval_seconds: float = Field(default=5.0, gt=0)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GOVBOT_", env_nested_delimiter="__", extra="forbid", case_sensitive=False
    )

    database_url: str = "sqlite:///govbot.db"
    sqlite_synchronous: Literal["OFF", "NORMAL", "FULL", "EXTRA"] = "FULL"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    charts_dir: Path = Path("charts")
    shutdown_drain_seconds: float = Field(
        default=10.0,
        gt=0,
        description="after SIGTERM, how long every platform together may take to finish "
        "the events in hand before the process exits",
    )
    voting: VotingPolicy = Field(default_factory=VotingPolicy)
    proposals: ProposalPolicy = Field(default_factory=ProposalPolicy)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    discord: DiscordSettings = Field(default_factory=DiscordSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    wallets: WalletPolicy = Field(default_factory=WalletPolicy)
    reputation: ReputationPolicy = Field(default_factory=ReputationPolicy)
    arena: ArenaSettings = Field(default_factory=ArenaSettings)
    rewards: RewardsPolicy = Field(default_factory=RewardsPolicy)
    communities: list[CommunityMapping] = Field(default_factory=list)  # [[communities]]
    web: WebSettings = Field(default_factory=WebSettings)
    limits: LimitPolicy = Field(default_factory=LimitPolicy)
    audit: AuditPolicy = Field(default_factory=AuditPolicy)
    reach: ReachPolicy = Field(default_factory=ReachPolicy)
    councils: CouncilPolicy = Field(default_factory=CouncilPolicy)
    summaries: SummariesSettings = Field(default_factory=SummariesSettings)
    roles: list[RoleRule] = Field(default_factory=list)  # [[roles]]: roles that follow rules
    role_checks: RoleChecks = Field(default_factory=RoleChecks)

    @field_validator("roles")
    @classmethod
    def _unique_roles(cls, roles: list[RoleRule]) -> list[RoleRule]:
        return check_unique(roles)

    disputes: DisputePolicy = Field(default_factory=DisputePolicy)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [
            init_settings,
            env_settings,
            PlainEnvSource(settings_cls),
        ]
        override = os.environ.get("GOVBOT_CONFIG")
        if override:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(override)))
        if DEFAULT_CONFIG.exists():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=DEFAULT_CONFIG))
        return tuple(sources)

    @property
    def policy(self) -> Policy:
        return Policy(voting=self.voting, proposals=self.proposals)


class PlainEnvSource(PydanticBaseSettingsSource):
    """DATABASE_URL, TELEGRAM_TOKEN, … without the prefix; lists as comma-separated text."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        tree: dict[str, Any] = {}
        for name, path in PLAIN_ENV.items():
            raw = os.environ.get(name)
            if raw is None or raw == "":
                continue
            value: Any = raw
            if path[-1] in ("guild_ids", "shard_ids", "admin_user_ids"):
                value = [part.strip() for part in raw.split(",") if part.strip()]
            node = tree
            for key in path[:-1]:
                node = node.setdefault(key, {})
            node[path[-1]] = value
        return tree


class SettingsError(Exception):
    """A wrong setting; the message names each bad key."""


def load_settings(**overrides: Any) -> Settings:
    """Load and validate; any problem becomes one SettingsError naming the keys."""
    if (path := os.environ.get("GOVBOT_CONFIG")) and not Path(path).is_file():
        raise SettingsError(f"GOVBOT_CONFIG names {path}, which is not a file.")
    try:
        return Settings(**overrides)
    except ValidationError as error:
        lines = []
        for problem in error.errors():
            key = ".".join(str(part) for part in problem["loc"])
            lines.append(f"  {key}: {problem['msg']}")
        raise SettingsError("Invalid settings:\n" + "\n".join(lines)) from None
