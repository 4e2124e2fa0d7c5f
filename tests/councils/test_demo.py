"""`govbot demo` creates a council, stands candidates, moves the clock through the
election, seats the winners and vetoes a treasury proposal; its audit verifies."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.demo import run_demo
from bot.settings import load_settings
from tests.conftest import READING_FLOOR_ENV


async def test_the_demo_elects_and_seats_a_council(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(READING_FLOOR_ENV)  # the demo runs with the shipped reading floor
    code = await run_demo(load_settings(), tmp_path / "out")
    out = capsys.readouterr().out
    assert code == 0, out[-2000:]
    assert "govbot: Council Stewards created: it has no members until its first election." in out
    assert "… 49 hours later: nominations close" in out
    assert "Nominations for council Stewards closed: 4 candidates for 2 seats. Vote on #8" in out
    assert "Choices: 1. ann  2. bob  3. cyd  4. dee" in out  # the order they stood in
    assert "govbot: Council Stewards: elected on #8: ann (until" in out
    assert "Members (2 of 2 seats held)" in out
    assert "subject to veto by council Stewards until" in out
    assert 'Result: passed: "yes" wins · vetoed by council Stewards (#10)' in out
    assert "🎖 alice now holds the role trusted voters (wallet linked: yes; reputation:" in out
    assert "2 council seats matched to their election" in out
    # the same run plays a credit dispute from opening to ruling (tests/disputes covers it)
    assert "Decided by a jury of 3 drawn by reputation" in out
    notices = [line for line in out.splitlines() if "you are drawn as a juror for d" in line]
    assert len(notices) >= 3  # each juror told privately, not in the chat
    assert all(re.search(r"govbot → (\S+) \(private\): \1, you are drawn", n) for n in notices)
    assert "Dispute d1 is ruled upheld (2 uphold, 1 reject)" in out
    assert "Dispute d1 is final (2 uphold, 1 reject): Upheld: 1 credit voided by dispute d1" in out
    assert "1 credit (2.0) voided by dispute d1" in out
    assert "1 dispute jury re-drawn from the log" in out
    # the raters read before they press, so their five ratings count
    assert "… 1 minute later: the raters read both answers" in out
    board = out.split("erin: /leaderboard", 1)[1].split("/rep alice", 1)[0]
    assert board.count("· 5 battles ·") == 2 and "faster than reading" not in board
