"""`govbot export <ledger>`: every ledger as CSV and JSON, nothing sealed or secret."""

from __future__ import annotations

import csv
import io
import json

import pytest

from bot.app import Core
from bot.export_cli import LEDGERS, write_export
from tests.audit.helpers import seed
from tests.conftest import run_command


async def export(core: Core, ledger: str, fmt: str) -> list[dict]:  # type: ignore[type-arg]
    out = io.StringIO()
    count = await write_export(core.storage, ledger, fmt, out)
    rows = (
        list(csv.DictReader(io.StringIO(out.getvalue())))
        if fmt == "csv"
        else json.loads(out.getvalue())
    )
    assert len(rows) == count
    if fmt == "csv":
        assert list(rows[0]) == list(LEDGERS[ledger].columns) if rows else True
    return rows


@pytest.mark.parametrize("fmt", ["csv", "json"])
async def test_every_ledger_exports_in_both_formats(core: Core, fmt: str) -> None:
    seeded = await seed(core)
    proposals = await export(core, "proposals", fmt)
    assert [int(p["number"]) for p in proposals] == [1, 2, 3, 4, 5, 6, 7]
    lunch = proposals[0]
    stored = await core.storage.proposals.get(1, 1)
    assert stored is not None
    assert lunch["outcome"] == "passed" and lunch["winner"] == "pizza"
    assert lunch["result_hash"] == stored.result_hash
    choices = lunch["choices"] if fmt == "json" else json.loads(lunch["choices"])
    assert choices == ["pizza", "sushi", "tacos"]
    assert proposals[6]["title"] == seeded["hostile"]  # data is exported as it is

    ballots = await export(core, "ballots", fmt)
    receipts = {b["receipt"] for b in ballots}
    assert seeded["sealed_receipt"] not in receipts  # hidden and open: not yet
    for b in ballots:
        stored_ballot = await core.storage.ballots.get(int(b["proposal_id"]), int(b["member_id"]))
        assert stored_ballot is not None and stored_ballot.receipt == b["receipt"]
    assert {b["voter_name"] for b in ballots if int(b["number"]) == 1} == {"bob", "carol", "dave"}
    assert "signature" not in ballots[0] and "nonce" not in json.dumps(ballots)
    await run_command(core, "carol", "/close 6")
    assert seeded["sealed_receipt"] in {b["receipt"] for b in await export(core, "ballots", fmt)}

    battles = await export(core, "battles", fmt)
    assert len(battles) == 2 and all(b["status"] == "revealed" for b in battles)
    assert all(b["model_a"] and b["model_b"] for b in battles)
    assert all(int(b["ratings"]) == 3 for b in battles)
    core.deps.arena.policy = core.deps.arena.policy.model_copy(update={"reveal_votes": 5})
    await run_command(core, "alice", "/arena Still blind")
    blind = (await export(core, "battles", fmt))[-1]
    assert blind["status"] == "open" and not blind["model_a"] and not blind["model_b"]
    assert "prompt" not in blind and "output_a" not in blind

    contributions = await export(core, "contributions", fmt)
    reactions = [c for c in contributions if c["kind"] == "reaction"]
    assert len(reactions) == 4 and {c["emoji"] for c in reactions} == {"👍"}
    assert len(contributions) == await core.storage.contributions.count()


def test_the_cli_lists_every_ledger(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.__main__ import main

    with pytest.raises(SystemExit):
        main(["export", "nothing"])
    err = capsys.readouterr().err
    for name in ("proposals", "ballots", "battles", "contributions"):
        assert name in err
