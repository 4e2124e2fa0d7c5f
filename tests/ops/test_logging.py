"""Structured logs and secret masking (bot/logging_setup.py).

Each test that configures logging hands the result to the harness's `restore_logging`
fixture, which puts the root logger back afterwards.
"""

from __future__ import annotations

import io
import json
import logging
from urllib.parse import quote

import pytest

from bot.logging_setup import MASK, LoggingSetup, configure_logging, secrets_from
from bot.settings import Settings, load_settings

TOKEN = "7000000001:AAHsecretTELEGRAMtokenValue_0123456789"
RPC_KEY = "0123456789abcdef0123456789abcdef"
RPC_URL = f"https://rpcuser:rpcPassw0rd@127.0.0.1:9/v3/{RPC_KEY}"
OPENAI_KEY = "sk-test-OPENAIkey0123456789abcdef"


def secret_settings(**overrides: object) -> Settings:
    return load_settings(
        telegram={"token": TOKEN},
        wallets={"rpc_url": RPC_URL},
        database_url="postgresql://govbot:dbPassw0rd!@db:5432/govbot",
        **overrides,
    )


def test_secrets_are_collected_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    found = secrets_from(secret_settings())
    for secret in (TOKEN, RPC_URL, RPC_KEY, "rpcPassw0rd", "dbPassw0rd!", OPENAI_KEY):
        assert secret in found


def test_json_lines_carry_fields_extras_and_masked_exceptions(
    restore_logging: list[LoggingSetup],
) -> None:
    stream = io.StringIO()
    setup = configure_logging(secret_settings(log_format="json"), console=False, stream=stream)
    restore_logging.append(setup)
    log = logging.getLogger("govbot.test")
    log.info('vote stored "quoted" user=%s', 42, extra={"proposal": 7, "rpc": RPC_URL})
    try:
        raise ConnectionError(f"cannot reach {RPC_URL}")
    except ConnectionError:
        log.exception("chain read failed token=%s", TOKEN)
    log.debug("hidden at INFO")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["level"] == "INFO" and first["logger"] == "govbot.test"
    assert first["msg"] == 'vote stored "quoted" user=42'
    assert first["proposal"] == 7 and first["rpc"] == MASK
    assert first["time"].endswith("+00:00")
    assert second["level"] == "ERROR" and second["msg"] == f"chain read failed token={MASK}"
    assert "ConnectionError" in second["exc"] and MASK in second["exc"]
    for secret in (TOKEN, RPC_KEY, "rpcPassw0rd"):
        assert secret not in stream.getvalue()


def test_text_lines_are_key_value(restore_logging: list[LoggingSetup]) -> None:
    stream = io.StringIO()
    setup = configure_logging(secret_settings(), console=False, stream=stream)
    restore_logging.append(setup)
    logging.getLogger("govbot.test").warning(
        "webhook at %s failed", f"https://x/{quote(TOKEN, safe='')}", extra={"chat": -100}
    )
    [line] = stream.getvalue().splitlines()
    assert line.startswith("time=") and " level=WARNING logger=govbot.test " in line
    assert f'msg="webhook at https://x/{MASK} failed"' in line and line.endswith("chat=-100")


def test_console_hides_info_but_debug_shows_everything(
    restore_logging: list[LoggingSetup],
) -> None:
    stream = io.StringIO()
    restore_logging.append(configure_logging(load_settings(), console=True, stream=stream))
    logging.getLogger("govbot.test").info("not in the chat terminal")
    assert stream.getvalue() == ""
    stream2 = io.StringIO()
    debug = load_settings(log_level="DEBUG")
    restore_logging.append(configure_logging(debug, console=True, stream=stream2))
    logging.getLogger("govbot.test").debug("shown")
    assert "msg=shown" in stream2.getvalue()
