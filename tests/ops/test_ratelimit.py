"""Per-member rate limits on state-changing commands (handlers/ratelimit.py + dispatcher)."""

from __future__ import annotations

import asyncio
import io
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Core, build_core, make_adapters
from bot.settings import load_settings
from handlers.core.ports import ManualClock
from handlers.core.ratelimit import LimitPolicy, RateLimiter
from tests.conftest import is_refusal, press, run_command, texts

PROPOSE = "/propose Pick a logo | yes | no"


# ----- the bucket ----------------------------------------------------------------------------
def test_bucket_allows_a_burst_then_refills_at_the_rate() -> None:
    clock = ManualClock(1000.0)
    limiter = RateLimiter(LimitPolicy(commands_per_minute=6, burst=3), clock)
    assert [limiter.take("tg", "1") for _ in range(3)] == [None, None, None]
    wait = limiter.take("tg", "1")
    assert wait == pytest.approx(10.0)  # 6 per minute → one token every 10 s
    assert limiter.take("tg", "2") is None, "another member has a bucket of their own"
    assert limiter.take("discord", "1") is None, "the same id on another platform is another member"
    clock.advance(9.0)
    assert limiter.take("tg", "1") == pytest.approx(1.0)
    clock.advance(1.0)
    assert limiter.take("tg", "1") is None
    assert limiter.take("tg", "1") is not None
    clock.advance(3600)  # refills only up to the burst
    assert [limiter.take("tg", "1") for _ in range(4)][-1] is not None


def test_zero_rate_disables_and_quiet_buckets_are_pruned(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = ManualClock(0.0)
    off = RateLimiter(LimitPolicy(commands_per_minute=0, burst=1), clock)
    assert all(off.take("tg", "1") is None for _ in range(100))
    monkeypatch.setattr("handlers.core.ratelimit.PRUNE_ABOVE", 50)
    limiter = RateLimiter(LimitPolicy(commands_per_minute=60, burst=1), clock)
    for user in range(50):
        limiter.take("tg", str(user))
    clock.advance(2.0)  # everyone is full again
    limiter.take("tg", "new")
    assert len(limiter._buckets) == 1


# ----- through the dispatcher -----------------------------------------------------------------
@pytest.fixture
async def limited(database_url: str, tmp_path: Path, clock: ManualClock) -> AsyncIterator[Core]:
    settings = load_settings(
        database_url=database_url,
        charts_dir=tmp_path / "charts",
        limits={"commands_per_minute": 30, "burst": 10, "exempt_platforms": []},
    )
    core = await build_core(settings, clock=clock)
    try:
        yield core
    finally:
        await core.close()


async def test_refused_command_says_when_and_writes_nothing(
    limited: Core, clock: ManualClock
) -> None:
    await run_command(limited, "admin", PROPOSE, admin=True)
    for _ in range(10):
        assert not is_refusal(await run_command(limited, "carol", "/vote 1 yes"))
    audit_before = await limited.storage.audit.count()
    refused = await run_command(limited, "carol", "/vote 1 no")
    assert is_refusal(refused) and refused[0].meta["error"] == "RateLimited"
    assert texts(refused).startswith("Slow down:")
    assert "try again in 2 s" in texts(refused)  # 30/min: a token every 2 s
    assert is_refusal(await press(limited, "carol", "vote", "1", "1")), "buttons count too"
    assert is_refusal(await run_command(limited, "carol", "/propose Another | a | b"))
    assert await limited.storage.audit.count() == audit_before
    assert len(await limited.storage.ballots.for_proposal(1)) == 1
    # reads are never limited
    assert not is_refusal(await run_command(limited, "carol", "/proposals"))
    assert not is_refusal(await run_command(limited, "carol", "/help vote"))
    # admins are exempt by default
    for _ in range(15):
        assert not is_refusal(await run_command(limited, "admin", "/vote 1 no", admin=True))
    clock.advance(2.0)
    assert not is_refusal(await run_command(limited, "carol", "/vote 1 no"))
    assert await limited.storage.audit.count() > audit_before


async def test_flood_of_1000_from_one_member_does_not_starve_others(limited: Core) -> None:
    """Mallory sends 1,000 votes at once; Bob's vote, sent in the middle, is answered.

    Ordering, not time: of the writes that reached the ballot log, at most `burst` of
    Mallory's come before Bob's, and every one of her other commands was refused
    without touching the database.
    """
    await run_command(limited, "admin", PROPOSE, admin=True)
    await run_command(limited, "bob", "/proposals")  # Bob has been seen before
    flood = [
        asyncio.create_task(run_command(limited, "mallory", "/vote 1 yes")) for _ in range(500)
    ]
    bob = asyncio.create_task(run_command(limited, "bob", "/vote 1 no"))
    flood += [
        asyncio.create_task(run_command(limited, "mallory", "/vote 1 yes")) for _ in range(500)
    ]
    answers = await asyncio.gather(*flood)
    bob_replies = await bob

    assert not is_refusal(bob_replies) and "Vote recorded on #1: no" in texts(bob_replies)
    accepted = [a for a in answers if not is_refusal(a)]
    slowed = [a for a in answers if is_refusal(a) and texts(a).startswith("Slow down:")]
    assert len(accepted) == 10 and len(slowed) == 990
    assert all("Vote recorded on #1: yes" in texts(a) for a in accepted)

    casts = [
        entry.payload["member"]
        async for entry, _ in limited.storage.audit.entries()
        if entry.kind == "ballot.cast"
    ]
    assert len(casts) == 11, "only the burst of Mallory's votes and Bob's were written"
    assert len(await limited.storage.ballots.for_proposal(1)) == 2  # one ballot each
    [(_mallory, ten), (bob_member, one)] = Counter(casts).most_common()
    assert (ten, one) == (10, 1)
    assert casts.index(bob_member) <= 10  # at most `burst` of Mallory's writes went first


async def test_console_flood_is_answered_line_by_line(tmp_path: Path) -> None:
    """Through the console adapter: a flooding member is told to slow down, then Bob votes."""
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path}/c.db",
        charts_dir=tmp_path / "charts",
        limits={"commands_per_minute": 30, "burst": 3, "exempt_platforms": []},
    )
    lines = (
        ["/as admin", PROPOSE, "/as mallory"] + ["/vote 1 yes"] * 200 + ["/as bob", "/vote 1 no"]
    )
    out = io.StringIO()
    core = await build_core(settings, clock=ManualClock(1_800_000_000.0))
    try:
        make_adapters(core, stdin=io.StringIO("\n".join(lines) + "\n"), stdout=out)
        await core.adapters["console"].run()
    finally:
        await core.close()
    transcript = out.getvalue()
    assert transcript.count("Slow down:") == 197
    last_answer = transcript[transcript.rindex("[#") :]
    assert last_answer.split(": ", 1)[0].endswith("govbot → bob (private)")
    assert "Vote recorded on #1: no" in last_answer


async def test_console_and_admins_are_exempt_by_default(core: Core) -> None:
    """Defaults: in the console anyone is anyone (/as), so limiting members protects nothing."""
    await run_command(core, "admin", PROPOSE, admin=True)
    for _ in range(25):
        assert not is_refusal(await run_command(core, "carol", "/vote 1 yes"))
    limiter = core.dispatcher.limiter
    assert limiter.take("telegram", "carol") is None  # other platforms are limited
    assert all(limiter.take("telegram", "carol") is None for _ in range(9))
    assert limiter.take("telegram", "carol") is not None
