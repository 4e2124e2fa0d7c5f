"""The wallet rules a community runs under (the `[wallets]` settings section)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class WalletPolicy(BaseModel):
    """What linking binds to and how strictly; read by the handlers that enforce it.

    The RPC knobs sit here too so the whole `[wallets]` section is one model; only
    `bot.integrations.chain` reads them.
    """

    model_config = ConfigDict(extra="forbid")

    domain: str = Field(
        default="govbot.local", description="the EIP-4361 domain (the signing page's host)"
    )
    uri: str = Field(default="https://govbot.local/link", description="the EIP-4361 URI")
    chain_id: int = Field(default=1, ge=0, description="EIP-155 chain id messages bind to")
    link_ttl_minutes: float = Field(default=10.0, gt=0, description="how long /link is valid")
    relink_cooldown_minutes: float = Field(
        default=60.0, ge=0, description="a member may change their wallet this often"
    )
    allow_link_in_groups: bool = Field(
        default=True, description="false: /link and /verify only in a private chat"
    )
    confirmations: int = Field(
        default=3, ge=0, description="snapshot block = latest block minus this many"
    )
    rpc_url: SecretStr | None = Field(default=None, description="also ETH_RPC_URL")
    rpc_timeout_seconds: float = Field(default=10.0, gt=0)
    rpc_retries: int = Field(default=2, ge=0)
    rpc_cache_size: int = Field(default=100_000, ge=0)
    signing_page: bool = Field(default=False, description="serve the browser signing page")
    signing_page_listen: str = "127.0.0.1"
    signing_page_port: int = Field(default=8645, ge=0, le=65535)
    signing_page_url: str | None = Field(
        default=None, description="public base URL of the signing page, e.g. https://x/link"
    )
