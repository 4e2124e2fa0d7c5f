"""Keep the bot token (and the webhook secret) out of every log line.

The token is part of every Bot API URL, and httpx logs request URLs at INFO; an
exception from the HTTP stack may quote the URL too. So httpx/httpcore are held at
WARNING, and a filter on the root handlers masks the secrets in any record that still
carries them, including formatted tracebacks.
"""

from __future__ import annotations

import logging

MASK = "<redacted>"
NOISY = ("httpx", "httpcore")


class RedactSecrets(logging.Filter):
    def __init__(self) -> None:
        super().__init__("govbot-redact")
        self.secrets: list[str] = []

    def _mask(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        masked = self._mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._mask(record.exc_text)
        return True


class LogHygiene:
    """Installed while the adapter runs; removed again on stop."""

    def __init__(self) -> None:
        self.filter = RedactSecrets()
        self._handlers: list[logging.Handler] = []

    def install(self, token: str) -> None:
        self.add_secret(token)
        for name in NOISY:
            logger = logging.getLogger(name)
            if logger.getEffectiveLevel() < logging.WARNING:
                logger.setLevel(logging.WARNING)
        for handler in logging.getLogger().handlers:
            if self.filter not in handler.filters:
                handler.addFilter(self.filter)
                self._handlers.append(handler)

    def add_secret(self, secret: str) -> None:
        if secret and secret not in self.filter.secrets:
            self.filter.secrets.append(secret)

    def uninstall(self) -> None:
        for handler in self._handlers:
            handler.removeFilter(self.filter)
        self._handlers.clear()
