"""The `[[roles]]` entries and the `[role_checks]` section of the settings.

A rule is parsed when the settings load, so a typo stops start-up (exit 2) with the
role, the position and what was expected, instead of surfacing at the first member.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from handlers.reach.roles.grammar import Node, RuleSyntaxError, parse


class RoleRule(BaseModel):
    """One `[[roles]]` entry: who gets `discord_role_id` / into `telegram_chat_id`."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=60)
    rule: str = Field(min_length=1)
    # The Discord role given to members who meet the rule (and taken from those who
    # no longer do). The bot needs Manage Roles and a top role above this one.
    discord_role_id: int | None = Field(default=None, gt=0)
    # A Telegram group joined by request: requests are approved when the rule holds.
    telegram_chat_id: int | None = None
    _tree: Node | None = PrivateAttr(default=None)

    @field_validator("name")
    @classmethod
    def _plain_name(cls, name: str) -> str:
        if not all(c.isalnum() or c in "-_ " for c in name):
            raise ValueError("a role's name uses letters, digits, spaces, - and _ only")
        return name.strip()

    @model_validator(mode="after")
    def _parse(self) -> RoleRule:
        try:
            self._tree = parse(self.rule)
        except RuleSyntaxError as error:
            raise ValueError(f'role "{self.name}": rule "{self.rule}": {error}') from None
        return self

    @property
    def tree(self) -> Node:
        assert self._tree is not None
        return self._tree

    @property
    def platforms(self) -> frozenset[str]:
        found = set()
        if self.discord_role_id is not None:
            found.add("discord")
        if self.telegram_chat_id is not None:
            found.add("telegram")
        return frozenset(found) or frozenset({"console"})


class RoleChecks(BaseModel):
    """`[role_checks]`: how often every member is checked again, and what a gated
    Telegram group does with a member who no longer meets its rule."""

    model_config = ConfigDict(extra="forbid")

    interval_seconds: float = Field(default=3600.0, ge=60)
    telegram_unqualified: Literal["warn", "remove"] = "warn"


def check_unique(rules: list[RoleRule]) -> list[RoleRule]:
    names = [r.name.casefold() for r in rules]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"two [[roles]] entries are named {dupes[0]!r}")
    return rules
