"""A seeded community for the public-log, export and page tests (console, both engines)."""

from __future__ import annotations

import random
import re
from typing import Any

from bot.app import Core
from handlers.core.markup import clean
from storage.repos.contributions import NewContribution
from tests.audit.test_verify import play_session
from tests.conftest import is_refusal, press, run_command

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>&amp;'
RECEIPT = re.compile(r"Receipt: \x10?([0-9a-f]{64})")


def receipt_of(replies: list[Any]) -> str:
    found = RECEIPT.search(replies[0].text)
    assert found, replies[0].text
    return found.group(1)


async def vote(core: Core, user: str, line: str) -> str:
    """Cast a ballot; its receipt."""
    replies = await run_command(core, user, line)
    assert not is_refusal(replies), replies[0].text
    return receipt_of(replies)


async def battle(core: Core, author: str, prompt: str, raters: dict[str, str]) -> int:
    """An arena battle rated by `raters` (name → a|b|tie|bothbad) until it is revealed."""
    replies = await run_command(core, author, f"/arena {prompt}")
    assert not is_refusal(replies), replies[0].text
    battle_id = replies[0].buttons[0].args[0]
    for name, choice in raters.items():
        assert not is_refusal(await press(core, name, "arena", battle_id, choice))
    return int(battle_id)


async def seed(core: Core) -> dict[str, Any]:
    """Proposals of every kind (closed, cancelled, open, hidden open, a hostile title),
    revealed arena battles and a reputation snapshot. Returns what tests look for."""
    await play_session(core)  # #1–#3 closed, #4 cancelled
    core.deps.arena.rng = random.Random(3)
    core.deps.arena.policy = core.deps.arena.policy.model_copy(update={"reveal_votes": 3})
    await battle(core, "alice", "Explain quorum", {"bob": "a", "carol": "a", "dave": "tie"})
    await battle(core, "bob", "Explain a hash chain", {"alice": "b", "carol": "a", "dave": "b"})
    opened = await run_command(core, "alice", "/propose Roadmap | ship | wait")  # #5 open
    assert not is_refusal(opened)
    await vote(core, "bob", "/vote 5 ship")
    hidden = await run_command(core, "carol", "/propose Secret pick | red | blue hidden=yes")
    assert not is_refusal(hidden), hidden[0].text  # #6 hidden, open
    sealed = await vote(core, "dave", "/vote 6 blue")
    evil = await run_command(core, "erin", f"/propose {HOSTILE} | &lt;i&gt;yes | no")
    assert not is_refusal(evil), evil[0].text  # #7 a hostile title and choice
    await vote(core, "frank", "/vote 7 no")
    at = core.deps.clock.now()
    ids = {}
    for name in ("alice", "bob", "carol"):
        member = await core.storage.members.find_by_name(1, name)
        assert member is not None
        ids[name] = member.id
    for n, (giver, receiver) in enumerate(
        [("alice", "bob"), ("carol", "bob"), ("bob", "alice"), ("carol", "alice")]
    ):
        await core.storage.contributions.record(
            NewContribution(
                1, "reaction", ids[giver], ids[receiver], "console", "main", f"m{n}", "👍", 1.0, at
            )
        )
    top = await run_command(core, "alice", "/top")
    assert "bob" in top[0].text, top[0].text
    return {"sealed_receipt": sealed, "hostile": clean(HOSTILE)}
