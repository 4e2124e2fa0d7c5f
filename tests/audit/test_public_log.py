"""The published audit log: exported, served, checked offline, tampered with.

Every check runs two verifiers: govbot's (`govbot audit verify --log`) and the one in
tests/audit/independent.py, written from the README's audit section alone. Altered logs — an edited
payload, a dropped line, two lines swapped, a file cut short — must fail at the line
that was touched, in both.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.__main__ import main
from bot.app import Core
from bot.public import routes
from bot.web import WebServer, WebSettings
from handlers.audit.publish import published_lines
from handlers.audit.verify import verify_file
from handlers.core.ports import ManualClock
from handlers.core.types import Where
from tests.audit import independent
from tests.audit.helpers import seed, vote
from tests.audit.test_verify import play_session
from tests.conftest import press, run_command
from tests.harness.core import core_env


async def exported(core: Core, **options: Any) -> str:
    return "".join([line async for line in published_lines(core.storage, **options)])


def lines_of(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


async def both_verify(text: str, **options: Any) -> tuple[Any, independent.Outcome]:
    return await verify_file(text.splitlines(keepends=True), **options), independent.check(text)


async def test_exported_log_passes_both_verifiers(core: Core) -> None:
    await seed(core)
    text = await exported(core)
    ours, theirs = await both_verify(text)
    assert ours.ok, ours.problems
    assert theirs.ok, (theirs.bad_line, theirs.reason)
    head = await core.storage.audit.tip()
    assert ours.head == head and theirs.hashes[head[0]] == head[1]
    assert ours.entries == theirs.entries == head[0]
    assert ours.proposals_checked == 3 and theirs.recounted == 1  # lunch is single-choice
    # the hidden proposal's open ballot and the (revealed) battles
    assert ours.withheld == theirs.withheld == 1
    kinds = {line["kind"] for line in lines_of(text)}
    assert {"proposal.opened", "ballot.cast", "proposal.closed", "proposal.cancelled"} <= kinds
    assert {"arena.battle", "arena.rating", "arena.revealed", "contributions.batch"} <= kinds


async def test_sealed_payloads_are_published_once_the_seal_lifts(core: Core) -> None:
    seeded = await seed(core)
    receipt = seeded["sealed_receipt"]
    [sealed] = [line for line in lines_of(await exported(core)) if line["hash"] == receipt]
    assert sealed["payload"] is None and "closes" in sealed["withheld"]
    # an unrevealed arena battle: its models and its ratings are sealed too
    core.deps.arena.policy = core.deps.arena.policy.model_copy(update={"reveal_votes": 5})
    replies = await run_command(core, "alice", "/arena Sealed models please")
    battle_id = replies[0].buttons[0].args[0]
    await press(core, "bob", "arena", battle_id, "a")
    battle = await core.storage.arena.get(int(battle_id))
    assert battle is not None
    text = await exported(core)
    about = [line for line in lines_of(text) if line["subject"] == f"battle:{battle_id}"]
    assert [line["kind"] for line in about] == ["arena.battle", "arena.rating"]
    assert all(line["payload"] is None for line in about)
    assert battle.model_a not in text.split(f'"battle:{battle_id}"')[1]
    # closing the hidden proposal publishes its ballots, which then re-hash and re-tally
    await run_command(core, "carol", "/close 6")
    text = await exported(core)
    [opened] = [line for line in lines_of(text) if line["hash"] == receipt]
    assert json.loads(opened["payload"])["selection"] == [1]
    ours, theirs = await both_verify(text, receipts=[receipt])
    assert ours.ok and theirs.ok and ours.proposals_checked == 4
    assert ours.receipts[receipt].status == "counted"


async def test_another_communitys_entries_are_withheld(core: Core) -> None:
    await play_session(core)
    await run_command(core, "zed", "/propose Theirs | x | y", where=Where("telegram", "-5", "-5"))
    other_id = await core.storage.communities.find_space("telegram", "-5")
    assert other_id is not None and other_id != 1
    text = await exported(core, community_id=1)
    theirs = [line for line in lines_of(text) if line["community"] == other_id]
    assert theirs and all(line["withheld"] == "another community's entry" for line in theirs)
    assert "Theirs" not in text
    ours, independent_view = await both_verify(text)
    assert ours.ok and independent_view.ok and ours.withheld == len(theirs)


# ----------------------------------------------------------------------------- tampering


def _edit_payload(lines: list[str], target: int) -> list[str]:
    entry = json.loads(lines[target])
    payload = json.loads(entry["payload"])
    payload["selection"] = [2]
    entry["payload"] = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return [*lines[:target], json.dumps(entry) + "\n", *lines[target + 1 :]]


TAMPERING = {
    # how to alter the lines, given the 0-based line of a ballot; the line named (1-based)
    "edited payload": (_edit_payload, lambda t: t + 1, "does not match its hash"),
    "dropped line": (lambda ls, t: ls[:t] + ls[t + 1 :], lambda t: t + 1, "missing"),
    "reordered": (
        lambda ls, t: [*ls[:t], ls[t + 1], ls[t], *ls[t + 2 :]],
        lambda t: t + 1,
        "out of order",
    ),
    "truncated": (lambda ls, t: [*ls[:t], ls[t][: len(ls[t]) // 2]], lambda t: t + 1, "truncated"),
}


@pytest.mark.parametrize("how", sorted(TAMPERING))
async def test_altered_logs_fail_at_the_altered_line(
    core: Core, how: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await play_session(core)
    lines = (await exported(core)).splitlines(keepends=True)
    target = next(
        i for i, line in enumerate(lines) if json.loads(line)["kind"] == "ballot.cast" and i > 3
    )
    alter, named, why = TAMPERING[how]
    forged = "".join(alter(lines, target))
    line = named(target)
    ours, theirs = await both_verify(forged)
    assert not ours.ok and ours.problems[0].startswith(f"line {line}"), ours.problems
    assert why in ours.problems[0]
    assert theirs.bad_line == line, (theirs.bad_line, theirs.reason)
    path = tmp_path / "forged.jsonl"
    path.write_text(forged, encoding="utf-8")
    assert await asyncio.to_thread(main, ["audit", "verify", "--log", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"log FAILED after {line - 1} good entries: line {line}" in out


async def test_rehashed_forgery_fails_the_retally_at_the_closing_line(core: Core) -> None:
    """A forger who edits a ballot and re-hashes every later line keeps the chain whole;
    the re-tally at the proposal's closing line gives them away (in both verifiers)."""
    await play_session(core)
    lines = lines_of(await exported(core))
    lunch_ballot = next(
        i
        for i, line in enumerate(lines)
        if line["kind"] == "ballot.cast" and "proposal:1" in line["subject"]
    )
    prev = lines[lunch_ballot]["prev"]
    for index in range(lunch_ballot, len(lines)):
        line = lines[index]
        if index == lunch_ballot:
            payload = json.loads(line["payload"])
            payload["selection"] = [2]
            line["payload"] = independent.canonical(payload)
        line["prev"] = prev
        line["hash"] = prev = independent.entry_hash(line)
    forged = "".join(json.dumps(line) + "\n" for line in lines)
    closing = next(
        i + 1
        for i, line in enumerate(lines)
        if line["kind"] == "proposal.closed" and line["subject"] == "proposal:1"
    )
    ours, theirs = await both_verify(forged)
    assert ours.problems[0].startswith(f"proposal #1 (community 1), closed at line {closing}:")
    assert "re-tallying the logged ballots gives" in ours.problems[0]
    assert theirs.bad_line == closing and "recounted" in theirs.reason


async def test_malformed_lines_are_named() -> None:
    good = {
        "index": 1,
        "prev": "0" * 64,
        "hash": "a" * 64,
        "at": "1.0",
        "community": None,
        "kind": "x",
        "subject": "y",
        "payload": "{}",
    }
    good["hash"] = independent.entry_hash(good)
    cases = {
        "[1, 2]\n": "not a JSON object",
        json.dumps({**good, "index": "1"}) + "\n": "index must be",
        json.dumps({k: v for k, v in good.items() if k != "hash"}) + "\n": "missing hash",
        json.dumps({**good, "payload": None}) + "\n": "does not say why",
        json.dumps({**good, "prev": "XYZ"}) + "\n": "prev must be 64",
        json.dumps(good) + "\n\n" + json.dumps({**good, "index": 2}) + "\n": "empty line",
    }
    for text, why in cases.items():
        report = await verify_file(text.splitlines(keepends=True))
        assert report.problems and why in report.problems[0], (text, report.problems)
        assert report.problems[0].startswith("line "), report.problems
    partial = json.dumps({**good, "index": 5}) + "\n"
    report = await verify_file([partial])
    assert "starts at entry 5" in report.problems[0]


# ----------------------------------------------------------------------------- the CLI


def _cli_log(tmp_path: Path) -> tuple[Path, str, list[str]]:
    """A session in a SQLite file, exported with `govbot audit export`; (file, url, receipts)."""
    url = f"sqlite:///{tmp_path}/cli.db"
    receipts: list[str] = []

    async def session() -> None:
        async with core_env(tmp_path, database_url=url, clock=ManualClock(1_800_000_000.0)) as core:
            await play_session(core)
            await run_command(core, "gina", "/propose Later | a | b")
            receipts.append(await vote(core, "gina", "/vote 5 a"))
            receipts.append(await vote(core, "gina", "/vote 5 b"))

    asyncio.run(session())
    return tmp_path / "log.jsonl", url, receipts


def test_cli_export_verify_checkpoint_and_receipt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path, url, (first, second) = _cli_log(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["audit", "export", "--out", str(path)]) == 0
    assert "exported" in capsys.readouterr().err
    lines = path.read_text(encoding="utf-8").splitlines()
    head = json.loads(lines[-1])
    middle = json.loads(lines[len(lines) // 2])
    # no database needed: point DATABASE_URL nowhere
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/absent/none.db")
    checkpoint = f"{middle['hash']}@{middle['index']}"
    args = ["audit", "verify", "--log", str(path), "--checkpoint", checkpoint]
    assert main([*args, "--receipt", first, "--receipt", second.upper()]) == 0
    out = capsys.readouterr().out
    assert f"log OK: {len(lines)} entries chained" in out and f"head {head['hash']}@" in out
    assert "checkpoints: 1 matching" in out
    assert f"receipt {first}: entry" in out and "replaced by a later ballot" in out
    assert f"receipt {second}: entry" in out and "still open" in out
    assert not (tmp_path / "absent").exists()  # the offline verifier opened no database

    wrong = f"{'f' * 64}@{middle['index']}"
    assert main(["audit", "verify", "--log", str(path), "--checkpoint", wrong]) == 1
    out = capsys.readouterr().out
    assert f"checkpoint {'f' * 64}@{middle['index']} does not match line {middle['index']}" in out
    assert middle["hash"] in out
    ahead = f"{head['hash']}@{head['index'] + 5}"
    assert main(["audit", "verify", "--log", str(path), "--checkpoint", ahead]) == 1
    assert "past the end of the log" in capsys.readouterr().out
    assert main(["audit", "verify", "--log", str(path), "--receipt", "ab" * 32]) == 1
    assert "NOT in the log" in capsys.readouterr().out
    for bad in (["--checkpoint", "nothex@3"], ["--checkpoint", f"{'a' * 64}"]):
        assert main(["audit", "verify", "--log", str(path), *bad]) == 2
        assert "is not HASH@INDEX" in capsys.readouterr().out
    assert main(["audit", "verify", "--log", str(tmp_path / "missing.jsonl")]) == 2
    assert main(["audit", "verify", "--receipt", first]) == 2  # needs --log


# ----------------------------------------------------------------------------- the web


@contextlib.asynccontextmanager
async def serving(core: Core) -> AsyncIterator[str]:
    server = WebServer(core, WebSettings(listen="127.0.0.1", port=0), routes(core))
    await server.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        await server.stop()


async def test_web_log_is_paged_with_etags_and_equals_the_export(
    database_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    async with core_env(
        tmp_path, database_url=database_url, clock=clock, web={"public_pages": True}
    ) as core:
        await seed(core)
        whole = await exported(core, community_id=1)
        async with serving(core) as base, aiohttp.ClientSession() as http:
            pages, url, tags = [], f"{base}/c/1/audit.jsonl?limit=7", []
            while url:
                async with http.get(url) as response:
                    assert response.status == 200
                    assert response.headers["Content-Type"].startswith("application/jsonl")
                    pages.append(await response.text())
                    tags.append((url, response.headers["ETag"]))
                    head = response.headers["X-Audit-Head"]
                    nxt = response.links.get("next")
                    url = str(nxt["url"]) if nxt else ""
            assert "".join(pages) == whole and len(pages) == -(-len(whole.splitlines()) // 7)
            index, digest = await core.storage.audit.tip()
            assert head == f"{digest}@{index}"
            first_url, first_tag = tags[0]
            async with http.get(first_url, headers={"If-None-Match": first_tag}) as response:
                assert response.status == 304 and await response.read() == b""
            await run_command(core, "bob", "/vote 5 wait")  # the log grows: new tags
            async with http.get(first_url, headers={"If-None-Match": first_tag}) as response:
                assert response.status == 200 and response.headers["ETag"] != first_tag
            for query in ("since=-1", "limit=0", "limit=10001", "since=x"):
                async with http.get(f"{base}/c/1/audit.jsonl?{query}") as response:
                    assert response.status == 400, query
