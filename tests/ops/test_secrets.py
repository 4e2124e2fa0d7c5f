"""No secret in any log line or reply: known secret values are configured, everything
the bot logs (at DEBUG, every logger) and everything it answers is scanned for them.

Two runs: commands in-process with caplog at DEBUG (the RPC URL with its key is used and
fails, so web3 and our chain client log about it), and a real `govbot run` process on
the fake Telegram API with JSON logs on stderr, scraped over /healthz and /metrics too.
"""

from __future__ import annotations

import json
import logging
import signal
from pathlib import Path

import aiohttp
import pytest

from bot.logging_setup import LoggingSetup, configure_logging
from handlers.core.types import Reply
from tests.conftest import run_command
from tests.harness.core import core_env, harness_settings
from tests.harness.process import bot_env, bot_process
from tests.harness.telegram_env import ALICE, BOB, GROUP, telegram_fake, wait_sent

TOKEN = "7000000001:AAHsecretTelegramTokenValue0123456789"
WEBHOOK_SECRET = "whsec-Secret-Webhook-Value-0123456789"
RPC_KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
RPC_URL = f"http://rpcuser:rpcPassw0rdXYZ@127.0.0.1:9/v3/{RPC_KEY}"
OPENAI_KEY = "sk-test-OpenAIkeyValue0123456789abcdef"
SECRETS = (TOKEN, WEBHOOK_SECRET, RPC_KEY, "rpcPassw0rdXYZ", OPENAI_KEY)
COMMANDS = (
    "/help",
    "/propose Pick a logo | yes | no weight=native",  # uses the RPC URL, which fails
    "/propose Pick a colour | red | blue",
    "/vote 1 red",
    "/vote 2 red",
    "/link 0x0000000000000000000000000000000000000001",
    "/frobnicate",
)


def leaked(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


async def test_commands_log_and_answer_no_secret(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    restore_logging: list[LoggingSetup],
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    settings = harness_settings(
        tmp_path,
        log_level="DEBUG",
        log_format="json",
        telegram={"token": TOKEN, "webhook_secret": WEBHOOK_SECRET},
        wallets={"rpc_url": RPC_URL, "rpc_retries": 0},
    )
    restore_logging.append(configure_logging(settings, console=False))
    # pytest's capture handler is added after ours, as any library's would be: still masked.
    logging.getLogger().addHandler(caplog.handler)
    caplog.set_level(logging.DEBUG)
    for noisy in ("web3", "aiohttp"):
        logging.getLogger(noisy).setLevel(logging.DEBUG)
    replies: list[Reply] = []
    async with core_env(tmp_path, settings=settings) as core:
        for line in COMMANDS:
            replies += await run_command(core, "admin", line, admin=True)
        logging.getLogger("govbot.test").debug("settings at start %s", settings.wallets)
    assert any("reach the chain" in r.text for r in replies), "the RPC path ran"
    everything = "\n".join(
        [caplog.text]
        + [r.getMessage() + (r.exc_text or "") for r in caplog.records]
        + [r.text for r in replies]
    )
    assert "<redacted>" in caplog.text, "the secrets were logged and masked, not absent"
    assert leaked(everything) == []


async def test_govbot_run_stderr_and_replies_hold_no_secret(tmp_path: Path) -> None:
    async with telegram_fake(token=TOKEN) as fake:
        env = bot_env(
            f"sqlite:///{tmp_path}/run.db",
            tmp_path,
            TELEGRAM_TOKEN=TOKEN,
            TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET,
            TELEGRAM_API_BASE_URL=fake.base_url,
            ETH_RPC_URL=RPC_URL,
            OPENAI_API_KEY=OPENAI_KEY,
            GOVBOT_LOG_LEVEL="DEBUG",
            GOVBOT_LOG_FORMAT="json",
            GOVBOT_WALLETS__RPC_RETRIES="0",
        )
        with bot_process(env, tmp_path) as bot:
            await bot.serving()
            for user, line in [(ALICE, c) for c in COMMANDS] + [(BOB, "/vote 2 blue")]:
                before = len(fake.sent())
                fake.send_text(GROUP, user, line)
                await wait_sent(fake, before + 1, timeout=15)
            base = f"http://127.0.0.1:{bot.web_port}"
            async with aiohttp.ClientSession() as http:
                async with http.get(f"{base}/healthz") as response:
                    health = await response.json()
                    assert response.status == 200, health
                    assert health["adapters"] == {"telegram": "connected"}
                async with http.get(f"{base}/metrics") as response:
                    metrics = await response.text()
            bot.signal(signal.SIGTERM)
            code = await bot.exited(30)
        stderr = bot.stderr
        assert code == 0, stderr[-3000:]
        sent = "\n".join(str(c.params) for c in fake.sent())
    assert 'govbot_commands_total{command="help",outcome="ok"} 1.0' in metrics
    assert 'govbot_adapter_connected{platform="telegram"} 1.0' in metrics
    lines = [json.loads(line) for line in stderr.splitlines() if line.strip()]
    assert lines and all({"time", "level", "logger", "msg"} <= set(line) for line in lines)
    assert any(line["logger"].startswith("telegram") for line in lines), "DEBUG from PTB seen"
    assert "<redacted>" in stderr
    assert leaked(stderr) == [], [line for line in stderr.splitlines() if leaked(line)][:3]
    assert leaked(metrics) == []
    assert leaked(sent) == []
