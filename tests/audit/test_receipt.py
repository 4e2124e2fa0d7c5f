"""/receipt <hash> on the console, both engines (the platforms: tests/audit/test_platforms.py)."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.app import Core
from handlers.core.types import Where
from storage.schema import audit_log, communities, members
from tests.audit.helpers import vote
from tests.conftest import is_refusal, run_command


async def rows(core: Core) -> tuple[int, ...]:
    async with core.storage.db.read() as conn:
        return tuple(
            [
                int(await conn.scalar(select(func.count()).select_from(t)) or 0)
                for t in (audit_log, members, communities)
            ]
        )


async def test_receipt_names_index_proposal_and_whether_it_counts(core: Core) -> None:
    await run_command(core, "alice", "/propose Lunch | pizza | sushi")
    first = await vote(core, "bob", "/vote 1 pizza")
    second = await vote(core, "bob", "/vote 1 sushi")
    entry = await core.storage.audit.by_hash(first)
    assert entry is not None
    [reply] = await run_command(core, "carol", f"/receipt {first}")
    assert reply.private and f"entry {entry.seq} of the audit log" in reply.text
    assert "#1 Lunch (open)" in reply.text and "Choice: pizza" in reply.text
    assert "replaced it" in reply.text and reply.meta["counts"] is False
    [reply] = await run_command(core, "bob", f"/receipt {second.upper()}")
    assert "Choice: sushi" in reply.text and "ballot that counts" in reply.text
    await run_command(core, "alice", "/close 1")
    [reply] = await run_command(core, "bob", f"/receipt {second}")
    assert "(closed)" in reply.text and "ballot that counted" in reply.text


async def test_hidden_tally_choice_stays_sealed_until_it_closes(core: Core) -> None:
    await run_command(core, "alice", "/propose Secret | red | blue hidden=yes")
    receipt = await vote(core, "bob", "/vote 1 blue")
    [reply] = await run_command(core, "bob", f"/receipt {receipt}")
    assert "stays sealed until the proposal closes" in reply.text
    assert "blue" not in reply.text and "red" not in reply.text
    await run_command(core, "alice", "/close 1")
    [reply] = await run_command(core, "bob", f"/receipt {receipt}")
    assert "Choice: blue" in reply.text


async def test_bad_or_unknown_receipts_are_refused_and_write_nothing(core: Core) -> None:
    await run_command(core, "alice", "/propose Lunch | pizza | sushi")
    receipt = await vote(core, "bob", "/vote 1 pizza")
    entries = [e async for e, _ in core.storage.audit.entries()]
    proposal_hash = next(e.hash for e in entries if e.kind == "proposal.opened")
    before = await rows(core)
    for line, says in (
        ("/receipt", "Usage"),
        ("/receipt nothex", "64 hexadecimal"),
        ("/receipt " + "g" * 64, "64 hexadecimal"),
        ("/receipt " + "a" * 81, "Usage"),
        ("/receipt " + "ab" * 32, "No audit entry here"),
        (f"/receipt {proposal_hash}", "not a ballot"),
    ):
        replies = await run_command(core, "bob", line)
        assert is_refusal(replies), line
        assert says in replies[0].text, (line, replies[0].text)
    assert await rows(core) == before
    # another community's receipt is not found here
    elsewhere = Where("telegram", "-9", "-9")
    replies = await run_command(core, "bob", f"/receipt {receipt}", where=elsewhere)
    assert is_refusal(replies) and "No audit entry here" in replies[0].text
