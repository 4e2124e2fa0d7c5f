"""Telegram for govbot, on python-telegram-bot 22 (see `adapter` for the design)."""

from bot.adapters.telegram.adapter import ALLOWED_UPDATES, TelegramAdapter

__all__ = ["ALLOWED_UPDATES", "TelegramAdapter"]
