"""/help, listed from every feature's commands."""

from __future__ import annotations

from handlers.core.feature import Feature
from handlers.help.commands import COMMANDS

FEATURE = Feature(name="help", commands=COMMANDS)
