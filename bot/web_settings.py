"""The `[web]` settings section (its own module so settings never import the server)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class WebSettings(BaseModel):
    """The `[web]` settings section."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool | None = Field(
        default=None, description="serve /healthz and /metrics; unset = only with a platform token"
    )
    listen: str = Field(default="127.0.0.1", description="address to bind (0.0.0.0 in Docker)")
    port: int = Field(default=8080, ge=0, le=65535, description="0 = any free port")
    public_url: str | None = Field(
        default=None,
        description="the address the public pages are reached at (cards link to them)",
    )
    public_pages: bool = Field(
        default=False, description="serve /c/<community>/ (a community's /config overrides)"
    )
    ballots_private: bool = Field(
        default=False, description="public pages show receipts only, not who voted"
    )
