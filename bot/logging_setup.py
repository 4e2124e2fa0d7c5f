"""Logging for `govbot`: structured lines (key=value or JSON) with secrets masked.

* `log_format = "json"`: one JSON object per line — time (UTC, ISO 8601), level, logger,
  msg, every `extra=` field, and `exc` with the formatted traceback.
* `log_format = "text"`: the same fields as `key=value` pairs (values quoted when they
  hold spaces), readable by people and by logfmt parsers.

Secrets (platform tokens, the Telegram webhook secret, API keys of configured models,
the Ethereum RPC URL and its credentials, the database password) are taken from the
settings at start-up and masked as `<redacted>` in every record. The mask runs in the
log record factory, so it applies before *any* handler sees the record — ours, the
ones libraries add, and pytest's caplog alike — and a filter on our handler repeats it
for records made elsewhere (e.g. by a library calling `makeRecord` itself).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote, unquote, urlsplit

if TYPE_CHECKING:
    from bot.settings import Settings

MASK = "<redacted>"
NOISY = ("httpx", "httpcore", "aiosqlite", "asyncio")
MIN_SECRET = 6  # shorter values would mask ordinary words; no real key is this short
# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
}


# ----- secrets -----------------------------------------------------------------------------
def _url_parts(url: str) -> list[str]:
    """A URL that may carry credentials: itself, its userinfo, and key-like path/query parts."""
    parts = [url]
    try:
        split = urlsplit(url)
    except ValueError:
        return parts
    if split.password:
        parts += [split.password, unquote(split.password)]
    if split.username and split.password:
        parts.append(f"{split.username}:{split.password}")
    for piece in [*split.path.split("/"), *split.query.replace("&", "=").split("=")]:
        if len(piece) >= 16:  # an API key in the path (/v3/<key>) or query (?apikey=<key>)
            parts.append(piece)
    return parts


def secrets_from(settings: Settings) -> list[str]:
    """Every secret value the settings (and the environment variables they name) hold."""
    found: list[str] = []
    for secret in (
        settings.telegram.token,
        settings.telegram.webhook_secret,
        settings.discord.token,
    ):
        if secret is not None:
            found.append(secret.get_secret_value())
    rpc = getattr(settings.wallets, "rpc_url", None)
    if rpc:
        found += _url_parts(rpc.get_secret_value() if hasattr(rpc, "get_secret_value") else rpc)
    database = urlsplit(settings.database_url)
    if database.password:
        found += [database.password, unquote(database.password)]
    for model in getattr(settings.arena, "models", []):
        variable = getattr(model, "api_key_env", None)
        if variable and os.environ.get(variable):
            found.append(os.environ[variable])
    return found


class SecretMask(logging.Filter):
    """Replaces each known secret (and its URL-encoded form) in a record with `<redacted>`."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__("govbot-secrets")
        self.secrets: list[str] = []
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        for secret in secrets:
            for form in (secret, quote(secret, safe="")):
                if len(form) >= MIN_SECRET and form not in self.secrets:
                    self.secrets.append(form)
        self.secrets.sort(key=len, reverse=True)  # mask the longest first (URL before its key)

    def mask(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep what logging would show
            message = str(record.msg)
        masked = self.mask(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, self.mask(value))
        return True


# ----- formats -----------------------------------------------------------------------------
def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname,
        "logger": record.name,
        "msg": record.getMessage(),
    }
    for key, value in record.__dict__.items():
        if key not in _STANDARD and key not in fields:
            fields[key] = value
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        fields["exc"] = record.exc_text
    if record.stack_info:
        fields["stack"] = record.stack_info
    return fields


class JsonFormatter(logging.Formatter):
    """One JSON object per record (see the module docstring for the fields)."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(_fields(record), ensure_ascii=False, default=str)


class KeyValueFormatter(logging.Formatter):
    """`time=… level=… logger=… msg="…" key=value …` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{key}={_logfmt(value)}" for key, value in _fields(record).items())


def _logfmt(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    if text and not any(c in text for c in ' "=\n\t\\'):
        return text
    return json.dumps(text, ensure_ascii=False)


# ----- installation ------------------------------------------------------------------------
class LoggingSetup:
    """What `configure_logging` installed, so tests can undo it."""

    def __init__(self, mask: SecretMask, handler: logging.Handler) -> None:
        self.mask = mask
        self.handler = handler
        self._previous_factory = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = self._previous_factory(*args, **kwargs)
            mask.filter(record)
            return record

        self._factory = factory

    def install(self, root: logging.Logger) -> None:
        logging.setLogRecordFactory(self._factory)
        root.addHandler(self.handler)

    def uninstall(self) -> None:
        if logging.getLogRecordFactory() is self._factory:
            logging.setLogRecordFactory(self._previous_factory)
        logging.getLogger().removeHandler(self.handler)


def configure_logging(
    settings: Settings, *, console: bool, stream: TextIO | None = None
) -> LoggingSetup:
    """Root logging for the CLI: level, format, secret masking. Replaces earlier handlers.

    In the console chat INFO is raised to WARNING (the chat and the log share a terminal).
    """
    level = settings.log_level
    chosen = logging.WARNING if console and level == "INFO" else getattr(logging, level)
    handler = logging.StreamHandler(stream or sys.stderr)
    formatter = JsonFormatter() if settings.log_format == "json" else KeyValueFormatter()
    handler.setFormatter(formatter)
    mask = SecretMask(secrets_from(settings))
    handler.addFilter(mask)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.setLevel(chosen)
    setup = LoggingSetup(mask, handler)
    setup.install(root)
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(max(chosen, logging.WARNING))
    return setup
