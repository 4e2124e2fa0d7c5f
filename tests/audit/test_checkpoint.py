"""Checkpoints on the console, both engines: when they are due, once each, routed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.app import Core
from bot.settings import SettingsError, load_settings
from handlers.audit.checkpoint import post_checkpoint
from handlers.audit.policy import AuditPolicy, CheckpointPlace
from handlers.audit.publish import published_lines
from handlers.audit.verify import parse_checkpoint, verify_file
from handlers.core.ports import ManualClock
from handlers.core.types import Reply
from tests.audit.test_verify import play_session
from tests.conftest import run_command

CONSOLE = CheckpointPlace(platform="console", space_id="console", channel_id="main")


class Recorder:
    """Stands in for the console adapter: keeps what the core routes to it."""

    platform = "console"
    connected = True

    def __init__(self) -> None:
        self.delivered: list[Reply] = []

    async def run(self) -> None:  # pragma: no cover - never run here
        return None

    async def deliver(self, reply: Reply) -> None:
        self.delivered.append(reply)

    async def stop(self) -> None:
        return None


async def checkpoints(core: Core) -> list[dict]:  # type: ignore[type-arg]
    return [
        e.payload async for e, _ in core.storage.audit.entries() if e.kind == "audit.checkpoint"
    ]


async def test_no_places_no_checkpoints(core: Core) -> None:
    await play_session(core)
    assert core.deps.audit.policy.checkpoint_places == []
    assert await post_checkpoint(core.deps) == []
    assert await checkpoints(core) == []


async def test_every_n_entries_once_each_routed_to_the_place(core: Core) -> None:
    recorder = Recorder()
    core.adapters["console"] = recorder  # type: ignore[assignment]
    core.deps.audit.policy = AuditPolicy(
        checkpoint_entries=5, checkpoint_hours=0, checkpoint_places=[CONSOLE]
    )
    [job] = [j for j in core.jobs() if j.name == "post audit checkpoints"]
    await play_session(core)
    head = await core.storage.audit.tip()
    await core.run_job(job)
    [reply] = recorder.delivered
    assert reply.where is not None and (reply.where.platform, reply.where.channel_id) == (
        "console",
        "main",
    )
    assert reply.meta["checkpoint"] == f"{head[1]}@{head[0]}" and head[1] in reply.text
    assert await checkpoints(core) == [
        {"index": head[0], "hash": head[1], "places": ["console:main"]}
    ]
    await core.run_job(job)  # nothing new since
    for n in range(4):
        await run_command(core, "bob", f"/propose More {n} | a | b")
        await core.run_job(job)
    assert len(recorder.delivered) == 1  # four new entries: not yet
    await run_command(core, "bob", "/propose The fifth | a | b")
    await core.run_job(job)
    assert len(recorder.delivered) == 2
    # every checkpoint posted matches the published log
    text = "".join([line async for line in published_lines(core.storage)])
    anchors = [parse_checkpoint(r.meta["checkpoint"]) for r in recorder.delivered]
    report = await verify_file(text.splitlines(keepends=True), checkpoints=anchors)
    assert report.ok and report.checkpoints_matched == 2


async def test_every_h_hours_when_something_is_new(core: Core, clock: ManualClock) -> None:
    core.deps.audit.policy = AuditPolicy(
        checkpoint_entries=0, checkpoint_hours=1, checkpoint_places=[CONSOLE]
    )
    assert await post_checkpoint(core.deps) == []  # an empty log has nothing to anchor
    await run_command(core, "alice", "/propose Lunch | pizza | sushi")
    assert len(await post_checkpoint(core.deps)) == 1  # the first one at once
    await run_command(core, "bob", "/vote 1 pizza")
    assert await post_checkpoint(core.deps) == []  # within the hour
    clock.advance(3601)
    assert len(await post_checkpoint(core.deps)) == 1
    clock.advance(7200)
    assert await post_checkpoint(core.deps) == []  # nothing new since
    assert len(await checkpoints(core)) == 2


async def test_concurrent_jobs_post_one_checkpoint(core: Core) -> None:
    core.deps.audit.policy = AuditPolicy(checkpoint_entries=1, checkpoint_places=[CONSOLE])
    await play_session(core)
    results = await asyncio.gather(*(post_checkpoint(core.deps) for _ in range(4)))
    assert sorted(len(r) for r in results) == [0, 0, 0, 1]
    assert len(await checkpoints(core)) == 1


def test_checkpoint_places_are_validated(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="checkpoint_places"):
        load_settings(audit={"checkpoint_places": [{"platform": "matrix", "space_id": "x"}]})
    with pytest.raises(SettingsError, match="checkpoint_entries"):
        load_settings(audit={"checkpoint_entries": -1})
    settings = load_settings(
        audit={"checkpoint_places": [{"platform": "telegram", "space_id": "-100"}]}
    )
    where = settings.audit.checkpoint_places[0].where()
    assert (where.platform, where.space_id, where.channel_id) == ("telegram", "-100", "-100")
