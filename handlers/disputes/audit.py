"""`govbot audit verify` for disputes: every jury and every ruling follows from the log.

Replayed from the `dispute.*` entries alone:

* the draw: the seed is the opening (or appeal) entry's own `prev` hash — the chain's
  head when the dispute opened — and recomputing `draw_order` from it and the logged
  candidates, minus the parties (and, on appeal, the first jury), gives exactly the
  jurors logged, K of them (2K+1 on appeal);
* replacements: each added juror is the next member of that draw order not yet asked;
* votes: only asked jurors who had not recused or lapsed voted, once each; the ruling
  reveals every committed vote with its salt, each matches its commitment, and the
  logged counts and outcome are the majority of those votes;
* the final ruling carries the last round's outcome, and what it changed matches the
  tables: the credits it voided were the disputed ones and are voided (and only those
  rows are), a battle it removed is off the leaderboard, a re-vote asks the same choices,
  an epoch it amended has the amendment entry naming it (the rewards check recomputes it);
* a council's vote had no ballot from a party to the dispute;
* the disputes and jurors tables say what the log says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from handlers.disputes.council import council_outcome
from handlers.disputes.draw import candidates_from_log, draw_order, majority, vote_commitment
from storage import Storage
from storage.records import AuditEntry


@dataclass
class _Round:
    order: list[int]
    asked: list[int] = field(default_factory=list)
    out: set[int] = field(default_factory=set)  # recused or lapsed
    commitments: dict[int, str] = field(default_factory=dict)
    ruled: dict[str, Any] | None = None


@dataclass
class _Dispute:
    opened: dict[str, Any]
    rounds: dict[int, _Round] = field(default_factory=dict)
    closed: dict[str, Any] | None = None
    council_vote: int | None = None  # the proposal a council decides it by


@dataclass
class DisputeTrail:
    disputes: dict[int, _Dispute] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    draws: int = 0
    amended: dict[int, int] = field(default_factory=dict)  # dispute → the epoch it amended

    def fail(self, dispute: int, problem: str) -> None:
        self.problems.append(f"dispute {dispute}: {problem}")

    def add(self, entry: AuditEntry) -> None:
        p = entry.payload
        did = int(p.get("dispute", 0))
        kind = entry.kind.removeprefix("dispute.")
        if kind == "opened":
            self.disputes[did] = _Dispute(p)
            if p["decider"] == "jury":
                order = self._draw(did, entry, p, set(p["parties"]), int(p["jury_size"]))
                self.disputes[did].rounds[1] = _Round(order, list(p["jurors"]))
            return
        found = self.disputes.get(did)
        if found is None:
            self.fail(did, f"{entry.kind} before it was opened")
            return
        round_ = found.rounds.get(int(p.get("round", 0)))
        if kind == "appealed":
            first = found.rounds.get(1)
            if first is None or first.ruled is None:
                self.fail(did, "appealed before its first ruling")
                return
            if sorted(p["first_jury"]) != sorted(first.asked):
                self.fail(did, "the appeal lists another first jury than the log")
            if int(p["jury_size"]) != 2 * int(found.opened["jury_size"]) + 1:
                self.fail(did, f"the appeal jury has {p['jury_size']} seats, not 2K+1")
            excluded = set(found.opened["parties"]) | set(first.asked)
            order = self._draw(did, entry, p, excluded, int(p["jury_size"]))
            found.rounds[2] = _Round(order, list(p["jurors"]))
        elif kind == "closed":
            found.closed = p
        elif kind == "bond":
            if float(p["bond"]) != float(found.opened.get("bond") or 0):
                self.fail(did, "its bond differs from the one it opened with")
        elif kind == "council_vote":
            found.council_vote = int(p["proposal"])
        elif kind == "ruled" and found.opened["decider"] == "council" and p["round"] == 1:
            found.rounds[1] = _Round([], ruled=p)  # checked against the vote's result
        elif round_ is None:
            self.fail(did, f"{entry.kind} names a round it never had")
        elif kind == "juror_added":
            expected = next((m for m in round_.order if m not in round_.asked), None)
            if p["juror"] != expected or round_.order.index(p["juror"]) != p["position"]:
                self.fail(did, f"replacement {p['juror']} is not the next in the draw order")
            round_.asked.append(int(p["juror"]))
        elif kind in ("recused", "lapsed"):
            juror = int(p["juror"])
            if juror not in round_.asked or juror in round_.out or juror in round_.commitments:
                self.fail(did, f"member {juror} {kind} without being an open juror")
            round_.out.add(juror)
        elif kind == "vote":
            juror = int(p["juror"])
            if juror not in round_.asked or juror in round_.out or juror in round_.commitments:
                self.fail(did, f"member {juror} voted without being an open juror")
            if round_.ruled is not None:
                self.fail(did, f"member {juror} voted after the ruling")
            round_.commitments[juror] = str(p["commitment"])
        elif kind == "ruled":
            self._ruled(did, int(p["round"]), round_, p)

    def _draw(
        self, did: int, entry: AuditEntry, p: dict[str, Any], excluded: set[int], size: int
    ) -> list[int]:
        self.draws += 1
        if p["seed"] != entry.prev_hash:
            self.fail(did, "its draw seed is not the chain's head when it was drawn")
        order = draw_order(p["seed"], candidates_from_log(p["candidates"]), excluded)
        if list(p["jurors"]) != order[:size] or len(p["jurors"]) != size:
            self.fail(did, f"the log names jurors {p['jurors']}, the draw gives {order[:size]}")
        return order

    def _ruled(self, did: int, number: int, round_: _Round, p: dict[str, Any]) -> None:
        if round_.ruled is not None:
            self.fail(did, f"round {number} ruled twice")
        round_.ruled = p
        votes = {int(m): (str(v[0]), str(v[1])) for m, v in p.get("votes", {}).items()}
        if set(votes) != set(round_.commitments):
            self.fail(did, f"round {number} reveals other votes than were cast")
            return
        for member, (choice, salt) in votes.items():
            if vote_commitment(did, number, member, choice, salt) != round_.commitments[member]:
                self.fail(did, f"member {member}'s revealed vote differs from its commitment")
        up = sum(1 for c, _ in votes.values() if c == "uphold")
        down = sum(1 for c, _ in votes.values() if c == "reject")
        if (p.get("uphold"), p.get("reject")) != (up, down) or p["outcome"] != majority(up, down):
            self.fail(did, f"round {number} is ruled {p['outcome']}, its votes give {up}–{down}")


async def check_tables(storage: Storage, trail: DisputeTrail) -> str | None:
    voided: dict[int, int] = {}
    for did, found in trail.disputes.items():
        row = await storage.disputes.get(did)
        if row is None:
            return f"dispute {did}: in the audit log but not in the database"
        last = max(found.rounds) if found.rounds else 0
        ruled = found.rounds[last].ruled if last else None
        if found.closed is not None:
            if ruled is None and found.opened["decider"] == "jury":
                return f"dispute {did}: final without a ruling"
            if ruled is not None and found.closed["outcome"] != ruled["outcome"]:
                return (
                    f"dispute {did}: final as {found.closed['outcome']}, ruled {ruled['outcome']}"
                )
            effects = found.closed.get("effects", {})
            disputed = set(found.opened.get("details", {}).get("credits", []))
            for cid in effects.get("voided", []):
                if int(cid) not in disputed:
                    return f"dispute {did}: voided credit {cid}, which it did not dispute"
                voided[int(cid)] = did
            if float(found.opened.get("bond") or 0) > 0:
                settled = "returned" if found.closed["outcome"] == "upheld" else "forfeited"
                if effects.get("bond") != settled:
                    return f"dispute {did}: its bond should be {settled}, the log says otherwise"
            if found.closed["outcome"] != "upheld" and (
                effects.get("voided")
                or effects.get("revote")
                or effects.get("battle")
                or effects.get("amended")
            ):
                return f"dispute {did}: rejected, yet it changed its target"
            if effects.get("battle") is not None and effects.get("battle_voided"):
                battle = await storage.arena.get(int(effects["battle"]))
                if battle is None or battle.status != "voided":
                    return f"dispute {did}: battle {effects['battle']} is still on the leaderboard"
            if effects.get("amended"):
                target = found.opened.get("details", {}).get("epoch")
                if trail.amended.get(did) != target or effects.get("epoch") != target:
                    return f"dispute {did}: it says it amended epoch {target}, the log disagrees"
            if effects.get("revote") is not None:
                again = await storage.proposals.by_id(int(effects["revote"]))
                first = await storage.proposals.by_id(int(found.opened["details"]["proposal"]))
                if again is None or first is None or again.choices != first.choices:
                    return f"dispute {did}: its re-vote does not ask the same choices"
        status = "closed" if found.closed else ("ruled" if ruled is not None else "open")
        if (row.status, row.round) != (status, max(last, 1)):
            return f"dispute {did}: the table says {row.status} round {row.round}, the log {status}"
        if row.outcome != (ruled["outcome"] if ruled else None):
            return f"dispute {did}: the stored outcome differs from the log"
        round1 = found.rounds.get(1)
        if found.opened["decider"] == "council" and round1 is not None and round1.ruled:
            vote = await storage.proposals.by_id(found.council_vote or 0)
            if vote is None or int(round1.ruled.get("proposal", 0)) != vote.id:
                return f"dispute {did}: ruled without its council's vote"
            mapping = await storage.identity.canonical_map(row.community_id)
            parties = {int(m) for m in found.opened.get("parties", [])}
            for ballot in await storage.ballots.for_proposal(vote.id):
                if mapping.get(ballot.member_id, ballot.member_id) in parties:
                    return f"dispute {did}: party {ballot.member_id} voted in its council's vote"
            if council_outcome(vote)[0] != round1.ruled["outcome"]:
                return (
                    f"dispute {did}: ruled {round1.ruled['outcome']}, its council voted otherwise"
                )
        rows = await storage.disputes.jurors(did)
        asked = {(n, m) for n, r in found.rounds.items() for m in r.asked}
        if {(j.round, j.member_id) for j in rows} != asked:
            return f"dispute {did}: the jurors table lists other jurors than the log"
    for did in trail.amended:
        trailed = trail.disputes.get(did)
        closed = trailed.closed if trailed else None
        if closed is None or not closed.get("effects", {}).get("amended"):
            return f"dispute {did}: an epoch was amended in its name, but it amended nothing"
    stored = await storage.disputes.voids()
    if stored != voided:
        extra = sorted(set(stored.items()) ^ set(voided.items()))[:3]
        return f"voided credits {extra}: in the voids table or the audit log, not both"
    for row in await storage.disputes.every():
        if row.id not in trail.disputes:
            return f"dispute {row.id}: in the database but never opened in the audit log"
    return None


async def verify_disputes(storage: Storage) -> tuple[int, str | None]:
    """(jury draws recomputed, the first problem or None)."""
    trail = DisputeTrail()
    async for entry, _ in storage.audit.entries():
        if entry.kind.startswith("dispute."):
            trail.add(entry)
        elif entry.kind == "rewards.epoch.amended":
            trail.amended[int(entry.payload["dispute"])] = int(entry.payload["epoch"])
    if trail.problems:
        return trail.draws, trail.problems[0]
    return trail.draws, await check_tables(storage, trail)
