"""Communities: one community across platforms (identity, card copies), /config."""

from __future__ import annotations

from handlers.communities.commands import COMMANDS
from handlers.core.feature import Feature

FEATURE = Feature(name="communities", commands=COMMANDS)
