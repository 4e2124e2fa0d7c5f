"""What a dispute can challenge, and who is a party to it.

Target forms (`/dispute <target> <reason>`):

* `#12` — the result of proposal #12, while its challenge window is open (it closes
  `challenge_hours` after the proposal closed);
* `credit:57` — the credits given to one message: 57 is any credit id `/rep` lists
  under "Recent credits" (a credit given with no message, e.g. a /praise, is one alone);
* `battle:3` — arena battle 3 (open or revealed);
* `epoch:2` — reward epoch 2's allocation, while it is closed and its payout has not
  been exported (upheld: recomputed without the credits and battles disputes voided).

Dispute ids are `d<n>` (`/dispute d3`), so they never read as a proposal's `#n`.
Parties — the disputer and the target's author, its voters, givers or raters — are
never drawn as jurors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from handlers.core.deps import Deps
from handlers.core.errors import BadArguments, NotAllowed, NotFound, VotingClosed
from handlers.proposals.cards import when
from storage.records import CommunityRecord

USAGE = "/dispute <#n | credit:<id> | battle:<id> | epoch:<n> | d<n>> <reason>"
_FORMS = {
    "result": re.compile(r"^#(\d{1,9})$"),
    "credit": re.compile(r"^credit:(\d{1,18})$", re.I),
    "battle": re.compile(r"^battle:(\d{1,9})$", re.I),
    "epoch": re.compile(r"^epoch:(\d{1,9})$", re.I),
}
DISPUTE_ID = re.compile(r"^#?d(\d{1,9})$", re.I)
HOUR = 3600.0


@dataclass(frozen=True, slots=True)
class Target:
    kind: str
    key: str  # canonical: one open dispute per key
    label: str  # for people
    parties: frozenset[int]  # person ids never drawn (the disputer is added by the caller)
    details: dict[str, Any] = field(default_factory=dict)  # logged with the opening


def parse(text: str) -> tuple[str, int]:
    """(kind, number) of a target form; refused with the forms otherwise."""
    for kind, form in _FORMS.items():
        found = form.match(text.strip())
        if found:
            return kind, int(found.group(1))
    raise BadArguments(
        f'"{text[:40]}" is not a target: #<proposal>, credit:<id>, battle:<id> or epoch:<n>.',
        usage=USAGE,
    )


async def persons(deps: Deps, community_id: int, ids: set[int]) -> frozenset[int]:
    """Account ids → person ids (accounts linked to one wallet are one person)."""
    mapping = await deps.storage.identity.canonical_map(community_id)
    return frozenset(mapping.get(i, i) for i in ids)


async def resolve(deps: Deps, community: CommunityRecord, kind: str, number: int) -> Target:
    """The target, or a refusal saying why it cannot be disputed now."""
    if kind == "result":
        return await _result(deps, community, number)
    if kind == "credit":
        return await _credit(deps, community, number)
    if kind == "battle":
        return await _battle(deps, community, number)
    return await _epoch(deps, community, number)


async def _closed_by_dispute(deps: Deps, community: CommunityRecord, key: str) -> None:
    for done in await deps.storage.disputes.on_target(community.id, key):
        if done.status == "closed" and done.outcome == "upheld":
            raise VotingClosed(f"That was already overturned by dispute {done.ref}.", usage=USAGE)


async def _result(deps: Deps, community: CommunityRecord, number: int) -> Target:
    proposal = await deps.storage.proposals.get(community.id, number)
    if proposal is None:
        raise NotFound(f"There is no proposal #{number} here.", usage=USAGE)
    if proposal.status == "open":
        raise NotAllowed(
            f"#{number} has no result yet: it closes {when(proposal.ends_at)}.", usage=USAGE
        )
    if proposal.status != "closed" or proposal.closed_at is None:
        raise VotingClosed(f"#{number} was cancelled: it has no result to dispute.", usage=USAGE)
    window = deps.disputes.challenge_hours * HOUR
    if proposal.closed_at + window <= deps.clock.now():
        raise VotingClosed(
            f"The challenge window for #{number} closed {when(proposal.closed_at + window)} "
            f"({deps.disputes.challenge_hours:g} h after its result).",
            usage=USAGE,
        )
    key = f"proposal:{proposal.id}"
    await _closed_by_dispute(deps, community, key)
    voters = {b.member_id for b in await deps.storage.ballots.for_proposal(proposal.id)}
    outcome = (proposal.result or {}).get("outcome", "closed")
    return Target(
        "result",
        key,
        f"the result of #{number} {proposal.title[:80]} ({str(outcome).replace('_', ' ')})",
        await persons(deps, community.id, voters | {proposal.author_id}),
        {"proposal": proposal.id, "number": number, "result_hash": proposal.result_hash},
    )


async def _credit(deps: Deps, community: CommunityRecord, number: int) -> Target:
    group = [
        r
        for r in await deps.storage.disputes.credit_group(number)
        if r["community_id"] == community.id
    ]
    if not group:
        raise NotFound(f"There is no credit {number} here. /rep lists credit ids.", usage=USAGE)
    live = [r for r in group if r["counted"] and r["retracted_at"] is None]
    first = min(int(r["id"]) for r in group)
    if not live:
        raise VotingClosed(
            f"credit:{first} no longer counts (withdrawn or voided): nothing to dispute.",
            usage=USAGE,
        )
    receiver = int(group[0]["receiver_id"])
    givers = {int(r["giver_id"]) for r in group if r["giver_id"] is not None}
    name = (await deps.storage.members.names({receiver})).get(receiver, "a member")
    on = " on one message" if group[0]["message_id"] is not None else ""
    count = len(live)
    key = f"credit:{first}"
    await _closed_by_dispute(deps, community, key)
    return Target(
        "credit",
        key,
        f"credit:{first}: {count} credit{'s' if count != 1 else ''} to {name}{on} "
        f"({sum(float(r['weight']) for r in live):.1f})",
        await persons(deps, community.id, givers | {receiver}),
        {
            "credits": sorted(int(r["id"]) for r in live),
            "receiver": receiver,
            "message": [group[0]["platform"], group[0]["channel_id"], group[0]["message_id"]],
        },
    )


async def _battle(deps: Deps, community: CommunityRecord, number: int) -> Target:
    battle = await deps.storage.arena.get(number)
    if battle is None or battle.community_id != community.id:
        raise NotFound(f"There is no battle {number} here.", usage=USAGE)
    if battle.status not in ("open", "revealed"):
        raise VotingClosed(f"battle:{number} is already off the leaderboard.", usage=USAGE)
    key = f"battle:{battle.id}"
    await _closed_by_dispute(deps, community, key)
    raters = {r.member_id for r in await deps.storage.arena.ratings(battle.id)}
    author = {battle.author_id} if battle.author_id is not None else set()
    return Target(
        "battle",
        key,
        f"battle:{battle.id} ({len(raters)} rating{'s' if len(raters) != 1 else ''}, "
        f"{battle.status})",
        await persons(deps, community.id, raters | author),
        {"battle": battle.id, "status": battle.status},
    )


async def _epoch(deps: Deps, community: CommunityRecord, number: int) -> Target:
    epoch = await deps.storage.rewards.get(community.id, number)
    if epoch is None:
        raise NotFound(f"There is no reward epoch {number} here.", usage=USAGE)
    if epoch.status != "closed":
        raise NotAllowed(
            f"Epoch {number} is still open: it has no allocation to dispute yet "
            "(dispute its credits now, or the epoch once it closes).",
            usage=USAGE,
        )
    if await deps.storage.audit.hash_of("rewards.export", f"epoch:{epoch.id}"):
        raise VotingClosed(
            f"Epoch {number}'s payout was already exported: it can no longer be disputed.",
            usage=USAGE,
        )
    rows = await deps.storage.rewards.allocations(epoch.id)
    later = sorted({r.settled_in for r in rows if r.settled_in not in (None, epoch.id)})
    if later:
        raise VotingClosed(
            f"Epoch {number}'s held shares were already settled by a later epoch: "
            "its allocation can no longer change.",
            usage=USAGE,
        )
    key = f"epoch:{epoch.id}"
    await _closed_by_dispute(deps, community, key)
    total = (epoch.summary or {}).get("total", "0")
    return Target(
        "epoch",
        key,
        f"the allocation of reward epoch {number} ({len(rows)} recipients, total {total})",
        frozenset(),
        {"epoch": epoch.id, "number": number},
    )
