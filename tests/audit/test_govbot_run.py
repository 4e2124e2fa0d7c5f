"""`govbot run` (the console chat) as an OS process: the public page, the public log and
a checkpoint from the real server and scheduler, then `govbot audit export` and
`govbot audit verify --log` against them.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import aiohttp
import pytest

from bot.__main__ import main
from tests.audit import independent
from tests.harness.process import bot_env, bot_process

CHECKPOINT = re.compile(r"([0-9a-f]{64}@\d+)")


@pytest.mark.slow
async def test_govbot_run_serves_the_page_the_log_and_posts_checkpoints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/run.db"
    env = bot_env(
        url,
        tmp_path,
        GOVBOT_WEB__ENABLED="true",
        GOVBOT_WEB__PUBLIC_PAGES="true",
        GOVBOT_WEB__PUBLIC_URL="https://gov.example.org",
        GOVBOT_AUDIT__CHECKPOINT_ENTRIES="3",
        GOVBOT_AUDIT__CHECKPOINT_CHECK_SECONDS="0.2",
        GOVBOT_AUDIT__CHECKPOINT_PLACES='[{"platform": "console", "space_id": "console"}]',
    )
    port = int(env["GOVBOT_WEB__PORT"])
    with bot_process(env, tmp_path) as bot:
        bot.send(["/propose Lunch | pizza | sushi", "/as bob", "/vote 1 pizza"])
        await bot.until(lambda b: b.saw("Receipt:"), timeout=60)
        assert bot.saw("Page: https://gov.example.org/c/1/p/1")
        receipt = bot.acks[0].receipt
        await bot.until(lambda b: b.saw("Audit checkpoint"), timeout=60)
        bot.send([f"/receipt {receipt}"])
        await bot.until(lambda b: b.saw("Receipt found"), timeout=60)
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/c/1/") as response:
                assert response.status == 200
                assert "#1 Lunch" in await response.text()
            async with http.get(f"{base}/c/1/audit.jsonl") as response:
                served = await response.text()
        bot.close_input()
        assert await bot.exited(60) == 0, bot.stderr[-2000:]
    posted = CHECKPOINT.findall(bot.stdout.split("Audit checkpoint", 1)[1])[0]
    assert "entry" in bot.stdout.split("Receipt found", 1)[1].split("\n", 1)[0]

    monkeypatch.setenv("DATABASE_URL", url)
    out = tmp_path / "log.jsonl"
    assert (
        await asyncio.to_thread(main, ["audit", "export", "--community", "1", "--out", str(out)])
        == 0
    )
    exported = out.read_text(encoding="utf-8")
    assert exported.startswith(served)  # the server's log is a prefix of the later export
    assert independent.check(exported).ok
    args = ["audit", "verify", "--log", str(out), "--checkpoint", posted, "--receipt", receipt]
    assert await asyncio.to_thread(main, args) == 0
    said = capsys.readouterr().out
    assert "checkpoints: 1 matching" in said and f"receipt {receipt}: entry" in said
    kinds = [json.loads(line)["kind"] for line in exported.splitlines()]
    assert "audit.checkpoint" in kinds
