"""Rewards: epochs that pay contributors, raters and model owners; /praise and /credit."""

from __future__ import annotations

import logging

from handlers.core.deps import Deps
from handlers.core.feature import Feature, Job
from handlers.core.types import Reply
from handlers.rewards.commands import COMMANDS, announce
from handlers.rewards.epochs import close_epoch, ensure_open
from handlers.rewards.policy import RewardsPolicy

log = logging.getLogger(__name__)


async def run_epochs(deps: Deps) -> list[Reply]:
    """Close every epoch past its end (exactly once), open the next, post the results."""
    if not deps.rewards.policy.enabled:
        return []
    repo = deps.storage.rewards
    replies: list[Reply] = []
    for epoch in await repo.due(deps.clock.now()):
        done = await close_epoch(deps, epoch, by=None)
        if done is not None:
            replies.extend(await announce(deps, done[0]))
    for community_id in await repo.communities():
        if await repo.current(community_id) is None:
            await ensure_open(deps, await deps.storage.communities.get(community_id))
    for epoch in await repo.unannounced():
        replies.extend(await announce(deps, epoch))
    return replies


FEATURE = Feature(
    name="rewards",
    commands=COMMANDS,
    jobs=[
        Job(
            "open and close reward epochs",
            run_epochs,
            every=lambda settings: settings.rewards.check_interval_seconds,
            at_start=True,
        )
    ],
    settings=RewardsPolicy,
)
