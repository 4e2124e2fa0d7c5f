"""Disputes: opening, jurors and their hidden votes, rulings, appeals, and their effects.

Every change is one write transaction with its `dispute.*` audit entries. The draw reads
the chain's head inside the opening transaction and the opening entry is the first one
that transaction appends, so the seed is exactly that entry's `prev` hash; who is
drawn is decided by the caller's pure function of that seed (storage knows no rules).
Transitions are conditional updates on the dispute's status and round, so a ruling, an
appeal or a closing happens once even when several processes run the dispute job.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, cast, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database
from storage.records import AuditEntry, Place, ProposalRecord, dumps
from storage.repos.audit import AuditRepo, NewEntry, _entry
from storage.repos.proposals import NewProposal, ProposalRepo
from storage.schema import audit_log
from storage.schema_arena import arena_battles
from storage.schema_contributions import contributions, ledger_state
from storage.schema_disputes import dispute_jurors, dispute_voids, disputes
from storage.schema_rewards import rewards_allocations, rewards_epochs

OPEN = "open"  # the jury (or council) is deciding
RULED = "ruled"  # decided; may still be appealed, nothing applied yet
CLOSED = "closed"  # final: the ruling applied itself


@dataclass(frozen=True, slots=True)
class DisputeRecord:
    id: int
    community_id: int
    number: int
    kind: str
    target: str
    label: str
    reason: str
    disputer_id: int
    bond: float
    decider: str
    council_id: int | None
    proposal_id: int | None
    status: str
    round: int
    jury_size: int
    seed: str
    draw_order: list[int]
    parties: list[int]
    replacements: int
    deadline: float
    opened_at: float
    ruled_at: float | None
    outcome: str | None
    appeal_until: float | None
    final: bool
    effects: dict[str, Any]
    home: Place

    @property
    def ref(self) -> str:
        return f"d{self.number}"

    @classmethod
    def from_row(cls, row: Any) -> DisputeRecord:
        m = row._mapping
        return cls(
            id=m["id"],
            community_id=m["community_id"],
            number=m["number"],
            kind=m["kind"],
            target=m["target"],
            label=m["label"],
            reason=m["reason"],
            disputer_id=m["disputer_id"],
            bond=float(m["bond"]),
            decider=m["decider"],
            council_id=m["council_id"],
            proposal_id=m["proposal_id"],
            status=m["status"],
            round=m["round"],
            jury_size=m["jury_size"],
            seed=m["seed"],
            draw_order=[int(i) for i in json.loads(m["draw_order"] or "[]")],
            parties=[int(i) for i in json.loads(m["parties"] or "[]")],
            replacements=m["replacements"],
            deadline=m["deadline"],
            opened_at=m["opened_at"],
            ruled_at=m["ruled_at"],
            outcome=m["outcome"],
            appeal_until=m["appeal_until"],
            final=bool(m["final"]),
            effects=json.loads(m["effects"] or "{}"),
            home=Place(m["home_platform"], m["home_space"], m["home_channel"], m["home_thread"]),
        )


@dataclass(frozen=True, slots=True)
class JurorRecord:
    dispute_id: int
    round: int
    member_id: int
    position: int
    status: str  # asked | voted | recused | lapsed
    vote: str | None
    salt: str
    asked_at: float
    answered_at: float | None

    @classmethod
    def from_row(cls, row: Any) -> JurorRecord:
        m = row._mapping
        return cls(
            m["dispute_id"],
            m["round"],
            m["member_id"],
            m["position"],
            m["status"],
            m["vote"],
            m["salt"],
            m["asked_at"],
            m["answered_at"],
        )


@dataclass(frozen=True, slots=True)
class NewDispute:
    community_id: int
    kind: str
    target: str
    label: str
    reason: str
    disputer_id: int
    bond: float
    decider: str
    jury_size: int
    parties: tuple[int, ...]
    candidates: dict[int, float]  # member → reputation at opening (the draw's weights)
    deadline: float
    home: Place
    details: dict[str, Any] = field(default_factory=dict)  # what the target was, for the log
    council_id: int | None = None


@dataclass(frozen=True, slots=True)
class Effects:
    """What an upheld ruling changes (applied when it becomes final)."""

    void: tuple[int, ...] = ()  # contribution ids
    revote: NewProposal | None = None
    battle: int | None = None  # its ratings leave the leaderboard
    # a reward epoch's amended allocation: {"epoch", "number", "inputs", "result", "summary"}
    amend: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # logged as they are (battle, epoch)


@dataclass(frozen=True, slots=True)
class Credit:
    """A credit a closing mints (a coherent juror's), straight into the ledger."""

    community_id: int
    receiver_id: int
    kind: str
    weight: float
    subject: str


Draw = Callable[[str], list[int]]  # seed → candidates in draw order
Commit = Callable[[int, int, int, str, str], str]  # dispute, round, member, choice, salt


def dispute_subject(dispute_id: int) -> str:
    return f"dispute:{dispute_id}"


class DisputeRepo:
    def __init__(self, db: Database, audit: AuditRepo, proposals: ProposalRepo) -> None:
        self.db = db
        self.audit = audit
        self.proposals = proposals
        self._insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert

    # ----- helpers ---------------------------------------------------------------------
    async def _log(
        self,
        conn: AsyncConnection,
        dispute: DisputeRecord,
        kind: str,
        payload: dict[str, Any],
        at: float,
    ) -> AuditEntry:
        [entry] = await self.audit.append(
            conn,
            [
                NewEntry(
                    kind,
                    dispute_subject(dispute.id),
                    {"dispute": dispute.id, **payload},
                    dispute.community_id,
                    at,
                )
            ],
        )
        return entry

    async def _get(self, conn: AsyncConnection, dispute_id: int) -> DisputeRecord:
        row = (await conn.execute(select(disputes).where(disputes.c.id == dispute_id))).one()
        return DisputeRecord.from_row(row)

    async def _jurors(
        self, conn: AsyncConnection, dispute_id: int, round_: int | None = None
    ) -> list[JurorRecord]:
        query = select(dispute_jurors).where(dispute_jurors.c.dispute_id == dispute_id)
        if round_ is not None:
            query = query.where(dispute_jurors.c.round == round_)
        rows = await conn.execute(query.order_by(dispute_jurors.c.round, dispute_jurors.c.position))
        return [JurorRecord.from_row(r) for r in rows]

    async def _ask(
        self, conn: AsyncConnection, dispute_id: int, round_: int, member: int, pos: int, at: float
    ) -> None:
        await conn.execute(
            dispute_jurors.insert().values(
                dispute_id=dispute_id,
                round=round_,
                member_id=member,
                position=pos,
                status="asked",
                salt=secrets.token_hex(16),
                asked_at=at,
            )
        )

    async def _bump(self, conn: AsyncConnection, community_id: int) -> None:
        """Mark the community's reputation snapshots stale (the ledger changed)."""
        stmt = self._insert(ledger_state).values(community_id=community_id, version=1)
        stmt = stmt.on_conflict_do_update(
            index_elements=["community_id"], set_={"version": ledger_state.c.version + 1}
        )
        await conn.execute(stmt)

    # ----- opening ---------------------------------------------------------------------
    async def open(
        self, new: NewDispute, draw: Draw, *, at: float, vote: NewProposal | None = None
    ) -> DisputeRecord | str:
        """The dispute and its jury (or, `vote` given, its council's vote); "busy" if
        the target has an undecided dispute, "few" if the draw cannot fill the jury."""
        async with self.db.write() as conn:
            busy = await conn.scalar(
                select(disputes.c.id).where(
                    disputes.c.community_id == new.community_id,
                    disputes.c.target == new.target,
                    disputes.c.status.in_((OPEN, RULED)),
                )
            )
            if busy is not None:
                return "busy"
            _, seed = await self.audit.head(conn)
            order = draw(seed) if new.decider == "jury" else []
            if new.decider == "jury" and len(order) < new.jury_size:
                return "few"
            number = (
                await conn.scalar(
                    select(func.max(disputes.c.number)).where(
                        disputes.c.community_id == new.community_id
                    )
                )
                or 0
            ) + 1
            result = await conn.execute(
                disputes.insert().values(
                    community_id=new.community_id,
                    number=number,
                    kind=new.kind,
                    target=new.target,
                    label=new.label,
                    reason=new.reason,
                    disputer_id=new.disputer_id,
                    bond=new.bond,
                    decider=new.decider,
                    council_id=new.council_id,
                    status=OPEN,
                    round=1,
                    jury_size=new.jury_size,
                    seed=seed,
                    draw_order=dumps(order),
                    parties=dumps(list(new.parties)),
                    deadline=new.deadline,
                    opened_at=at,
                    home_platform=new.home.platform,
                    home_space=new.home.space_id,
                    home_channel=new.home.channel_id,
                    home_thread=new.home.thread_id,
                )
            )
            dispute = await self._get(conn, result.inserted_primary_key[0])  # type: ignore[index]
            jurors = order[: new.jury_size]
            await self._log(  # first entry of this transaction: its prev hash is the seed
                conn,
                dispute,
                "dispute.opened",
                {
                    "number": number,
                    "kind": new.kind,
                    "target": new.target,
                    "label": new.label,
                    "reason": new.reason,
                    "disputer": new.disputer_id,
                    "bond": new.bond,
                    "decider": new.decider,
                    "council": new.council_id,
                    "jury_size": new.jury_size,
                    "parties": sorted(new.parties),
                    "candidates": {str(m): w for m, w in sorted(new.candidates.items())},
                    "seed": seed,
                    "jurors": jurors,
                    "deadline": new.deadline,
                    "details": new.details,
                },
                at,
            )
            for position, member in enumerate(jurors):
                await self._ask(conn, dispute.id, 1, member, position, at)
            if new.bond > 0:  # staked: a negative credit, retracted if the dispute is upheld
                [bond] = await self._mint(
                    conn,
                    [
                        Credit(
                            new.community_id,
                            new.disputer_id,
                            "bond",
                            -new.bond,
                            dispute_subject(dispute.id),
                        )
                    ],
                    at,
                )
                await self._log(
                    conn, dispute, "dispute.bond", {"credit": bond, "bond": new.bond}, at
                )
            if vote is not None:
                opened = await self.proposals.create_in(conn, vote)
                await conn.execute(
                    update(disputes)
                    .where(disputes.c.id == dispute.id)
                    .values(proposal_id=opened.id)
                )
                await self._log(conn, dispute, "dispute.council_vote", {"proposal": opened.id}, at)
                return await self._get(conn, dispute.id)
            return dispute

    # ----- jurors ----------------------------------------------------------------------
    async def answer(
        self, dispute_id: int, member_id: int, choice: str, commit: Commit, *, at: float
    ) -> tuple[str, int | None]:
        """A juror's answer: ("voted"|"recused", replacement or None) or (refusal, None)
        with refusal one of "closed", "not_juror", "answered"."""
        async with self.db.write() as conn:
            dispute = await self._get(conn, dispute_id)
            if dispute.status != OPEN or dispute.deadline <= at or dispute.decider != "jury":
                return "closed", None
            mine = [j for j in await self._jurors(conn, dispute_id, dispute.round)]
            me = next((j for j in mine if j.member_id == member_id), None)
            if me is None:
                return "not_juror", None
            if me.status != "asked":
                return "answered", None
            status = "recused" if choice == "recuse" else "voted"
            changed = await conn.execute(
                update(dispute_jurors)
                .where(
                    dispute_jurors.c.dispute_id == dispute_id,
                    dispute_jurors.c.round == dispute.round,
                    dispute_jurors.c.member_id == member_id,
                    dispute_jurors.c.status == "asked",
                )
                .values(
                    status=status,
                    vote=None if status == "recused" else choice,
                    answered_at=at,
                )
            )
            if changed.rowcount != 1:
                return "answered", None
            if status == "voted":
                await self._log(
                    conn,
                    dispute,
                    "dispute.vote",
                    {
                        "round": dispute.round,
                        "juror": member_id,
                        "commitment": commit(dispute.id, dispute.round, member_id, choice, me.salt),
                    },
                    at,
                )
                return "voted", None
            await self._log(
                conn, dispute, "dispute.recused", {"round": dispute.round, "juror": member_id}, at
            )
            added = await self._replace(conn, dispute, mine, 1, None, at)
            return "recused", (added[0] if added else None)

    async def _replace(
        self,
        conn: AsyncConnection,
        dispute: DisputeRecord,
        asked: Sequence[JurorRecord],
        wanted: int,
        limit: int | None,
        at: float,
    ) -> list[int]:
        """Ask the next members in the draw order (at most `wanted`, within `limit`)."""
        used = {j.member_id for j in asked}
        room = wanted if limit is None else max(0, min(wanted, limit - dispute.replacements))
        picks = [(pos, m) for pos, m in enumerate(dispute.draw_order) if m not in used][:room]
        for position, member in picks:
            await self._ask(conn, dispute.id, dispute.round, member, position, at)
            await self._log(
                conn,
                dispute,
                "dispute.juror_added",
                {"round": dispute.round, "juror": member, "position": position},
                at,
            )
        if picks:
            await conn.execute(
                update(disputes)
                .where(disputes.c.id == dispute.id)
                .values(replacements=disputes.c.replacements + len(picks))
            )
        return [m for _, m in picks]

    async def replace_lapsed(
        self, dispute_id: int, round_: int, *, limit: int, extend_to: float, at: float
    ) -> list[int]:
        """At the deadline: jurors who never answered lapse and the next in the draw
        order are asked (within the round's replacement limit), with a new deadline.
        The members asked ([] when nobody could be: then the dispute is ruled)."""
        async with self.db.write() as conn:
            dispute = await self._get(conn, dispute_id)
            if dispute.status != OPEN or dispute.round != round_ or dispute.deadline > at:
                return []
            asked = await self._jurors(conn, dispute_id, round_)
            silent = [j for j in asked if j.status == "asked"]
            room = limit - dispute.replacements
            if not silent or room <= 0 or len(dispute.draw_order) <= len(asked):
                return []
            await conn.execute(
                update(dispute_jurors)
                .where(
                    dispute_jurors.c.dispute_id == dispute_id,
                    dispute_jurors.c.round == round_,
                    dispute_jurors.c.status == "asked",
                )
                .values(status="lapsed")
            )
            for j in silent:
                await self._log(
                    conn, dispute, "dispute.lapsed", {"round": round_, "juror": j.member_id}, at
                )
            added = await self._replace(conn, dispute, asked, len(silent), limit, at)
            await conn.execute(
                update(disputes).where(disputes.c.id == dispute_id).values(deadline=extend_to)
            )
            await self._log(
                conn, dispute, "dispute.extended", {"round": round_, "deadline": extend_to}, at
            )
            return added

    # ----- ruling, appeal, closing -------------------------------------------------------
    async def rule(
        self,
        dispute_id: int,
        round_: int,
        decide: Callable[[list[JurorRecord]], tuple[str, dict[str, Any]]],
        *,
        appeal_until: float | None,
        at: float,
    ) -> DisputeRecord | None:
        """Decide the round once; `decide(jurors)` → (outcome, what the log shows of it).
        With no appeal possible the ruling is final (`close` follows at once)."""
        async with self.db.write() as conn:
            dispute = await self._get(conn, dispute_id)
            if dispute.status != OPEN or dispute.round != round_:
                return None
            jurors = await self._jurors(conn, dispute_id, round_)
            outcome, shown = decide(jurors)
            changed = await conn.execute(
                update(disputes)
                .where(
                    disputes.c.id == dispute_id,
                    disputes.c.status == OPEN,
                    disputes.c.round == round_,
                )
                .values(status=RULED, outcome=outcome, ruled_at=at, appeal_until=appeal_until)
            )
            if changed.rowcount != 1:
                return None
            await self._log(
                conn,
                dispute,
                "dispute.ruled",
                {"round": round_, "outcome": outcome, "appeal_until": appeal_until, **shown},
                at,
            )
            return await self._get(conn, dispute_id)

    async def appeal(
        self,
        dispute_id: int,
        by: int,
        reason: str,
        candidates: dict[int, float],
        draw: Callable[[str, set[int]], list[int]],
        *,
        jury_size: int,
        deadline: float,
        at: float,
    ) -> DisputeRecord | str:
        """Round 2 with a new jury (none of round 1's); "late", "final" or "few" if not."""
        async with self.db.write() as conn:
            dispute = await self._get(conn, dispute_id)
            if dispute.status != RULED:
                return "late" if dispute.status == CLOSED else "undecided"
            if dispute.final or dispute.round != 1:
                return "final"
            if dispute.appeal_until is None or dispute.appeal_until <= at:
                return "late"
            first = {j.member_id for j in await self._jurors(conn, dispute_id, 1)}
            _, seed = await self.audit.head(conn)
            order = draw(seed, first)
            if len(order) < jury_size:
                return "few"
            changed = await conn.execute(
                update(disputes)
                .where(
                    disputes.c.id == dispute_id, disputes.c.status == RULED, disputes.c.round == 1
                )
                .values(
                    status=OPEN,
                    round=2,
                    decider="jury",
                    final=True,
                    jury_size=jury_size,
                    seed=seed,
                    draw_order=dumps(order),
                    replacements=0,
                    deadline=deadline,
                    appeal_until=None,
                )
            )
            if changed.rowcount != 1:
                return "late"
            jurors = order[:jury_size]
            await self._log(
                conn,
                dispute,
                "dispute.appealed",
                {
                    "round": 2,
                    "by": by,
                    "reason": reason,
                    "jury_size": jury_size,
                    "first_jury": sorted(first),
                    "parties": dispute.parties,
                    "candidates": {str(m): w for m, w in sorted(candidates.items())},
                    "seed": seed,
                    "jurors": jurors,
                    "deadline": deadline,
                },
                at,
            )
            for position, member in enumerate(jurors):
                await self._ask(conn, dispute.id, 2, member, position, at)
            return await self._get(conn, dispute_id)

    async def close(
        self,
        dispute_id: int,
        effects: Effects,
        credits: Sequence[Credit],
        *,
        at: float,
    ) -> tuple[DisputeRecord, dict[str, Any]] | None:
        """Make the ruling final and apply it (upheld: `effects`; always: `credits`)."""
        async with self.db.write() as conn:
            dispute = await self._get(conn, dispute_id)
            changed = await conn.execute(
                update(disputes)
                .where(disputes.c.id == dispute_id, disputes.c.status == RULED)
                .values(status=CLOSED, final=True)
            )
            if changed.rowcount != 1:
                return None
            applied: dict[str, Any] = {}
            if dispute.outcome == "upheld":
                applied = await self._apply(conn, dispute, effects, at)
            if dispute.bond > 0:
                applied["bond"] = await self._settle_bond(conn, dispute, at)
            minted = await self._mint(conn, credits, at)
            if minted:
                applied["juror_credits"] = minted
            await conn.execute(
                update(disputes).where(disputes.c.id == dispute_id).values(effects=dumps(applied))
            )
            await self._log(
                conn,
                dispute,
                "dispute.closed",
                {"outcome": dispute.outcome, "round": dispute.round, "effects": applied},
                at,
            )
            return await self._get(conn, dispute_id), applied

    async def _apply(
        self, conn: AsyncConnection, dispute: DisputeRecord, effects: Effects, at: float
    ) -> dict[str, Any]:
        applied: dict[str, Any] = dict(effects.extra)
        if effects.void:
            c = contributions.c
            rows = (
                await conn.execute(
                    select(c.id, c.receiver_id).where(
                        c.id.in_(list(effects.void)), c.retracted_at.is_(None)
                    )
                )
            ).all()
            ids = sorted(int(r[0]) for r in rows)
            if ids:
                await conn.execute(
                    update(contributions).where(c.id.in_(ids)).values(retracted_at=at)
                )
                await conn.execute(
                    dispute_voids.insert(),
                    [
                        {
                            "contribution_id": int(r[0]),
                            "dispute_id": dispute.id,
                            "receiver_id": r[1],
                            "at": at,
                        }
                        for r in rows
                    ],
                )
                await self._bump(conn, dispute.community_id)
            applied["voided"] = ids
        if effects.battle is not None:
            changed = await conn.execute(
                update(arena_battles)
                .where(
                    arena_battles.c.id == effects.battle,
                    arena_battles.c.status.in_(("open", "revealed")),
                )
                .values(status="voided")
            )
            applied["battle"] = effects.battle
            applied["battle_voided"] = changed.rowcount == 1
        if effects.amend is not None:
            applied |= await self._amend(conn, dispute, effects.amend, at)
        if effects.revote is not None:
            revote: ProposalRecord = await self.proposals.create_in(conn, effects.revote)
            applied["revote"] = revote.id
            applied["revote_number"] = revote.number
        return applied

    async def _amend(
        self, conn: AsyncConnection, dispute: DisputeRecord, amend: dict[str, Any], at: float
    ) -> dict[str, Any]:
        """Replace a closed epoch's allocation by the amended one, with its audit entry.

        Skipped (and said so) when a later epoch has already settled one of its holds:
        that epoch's logged inputs name the held amounts, which must not move.
        """
        a, e = rewards_allocations.c, rewards_epochs.c
        epoch_id = int(amend["epoch"])
        settled = await conn.scalar(
            select(func.count())
            .select_from(rewards_allocations)
            .where(a.epoch_id == epoch_id, a.settled_in.is_not(None), a.settled_in != epoch_id)
        )
        if settled:
            return {"epoch": epoch_id, "amended": False, "why": "its holds were settled"}
        await conn.execute(delete(rewards_allocations).where(a.epoch_id == epoch_id))
        rows = [
            {
                "epoch_id": epoch_id,
                "recipient": key,
                "member_id": int(key[2:]) if key.startswith("m:") else None,
                "address": row["address"],
                "amount": row["amount"],
                "parts": dumps(row["parts"]),
                "status": row["status"],
                "settled_in": epoch_id if row["status"] == "returned" else None,
            }
            for key, row in amend["result"]["allocations"].items()
        ]
        if rows:
            await conn.execute(rewards_allocations.insert(), rows)
        [entry] = await self.audit.append(
            conn,
            [
                NewEntry(
                    "rewards.epoch.amended",
                    f"epoch:{epoch_id}",
                    {
                        "epoch": epoch_id,
                        "number": amend["number"],
                        "dispute": dispute.id,
                        "dispute_ref": dispute.ref,
                        "inputs": amend["inputs"],
                        "result": amend["result"],
                    },
                    dispute.community_id,
                    at,
                )
            ],
        )
        summary = dict(amend["summary"]) | {"amended_hash": entry.hash}
        await conn.execute(
            update(rewards_epochs).where(e.id == epoch_id).values(summary=dumps(summary))
        )
        return {"epoch": epoch_id, "amended": True, "amended_hash": entry.hash}

    async def _settle_bond(self, conn: AsyncConnection, dispute: DisputeRecord, at: float) -> str:
        """Upheld: the bond's credit is retracted (returned); rejected: it stays (lost)."""
        if dispute.outcome != "upheld":
            return "forfeited"
        c = contributions.c
        await conn.execute(
            update(contributions)
            .where(
                c.subject == dispute_subject(dispute.id),
                c.kind == "bond",
                c.retracted_at.is_(None),
            )
            .values(retracted_at=at)
        )
        await self._bump(conn, dispute.community_id)
        return "returned"

    async def _mint(self, conn: AsyncConnection, credits: Sequence[Credit], at: float) -> list[int]:
        ids: list[int] = []
        for credit in credits:
            result = await conn.execute(
                contributions.insert().values(
                    community_id=credit.community_id,
                    kind=credit.kind,
                    giver_id=None,
                    receiver_id=credit.receiver_id,
                    platform="govbot",
                    channel_id="",
                    subject=credit.subject,
                    weight=credit.weight,
                    counted=True,
                    at=at,
                )
            )
            ids.append(int(result.inserted_primary_key[0]))  # type: ignore[index]
        for community_id in sorted({c.community_id for c in credits}):
            await self._bump(conn, community_id)
        return ids

    # ----- reads -----------------------------------------------------------------------
    async def get(self, dispute_id: int) -> DisputeRecord | None:
        async with self.db.read() as conn:
            row = (await conn.execute(select(disputes).where(disputes.c.id == dispute_id))).first()
        return DisputeRecord.from_row(row) if row else None

    async def by_number(self, community_id: int, number: int) -> DisputeRecord | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(disputes).where(
                        disputes.c.community_id == community_id, disputes.c.number == number
                    )
                )
            ).first()
        return DisputeRecord.from_row(row) if row else None

    async def by_proposal(self, proposal_id: int) -> DisputeRecord | None:
        """The dispute a council decides by this proposal."""
        async with self.db.read() as conn:
            row = (
                await conn.execute(select(disputes).where(disputes.c.proposal_id == proposal_id))
            ).first()
        return DisputeRecord.from_row(row) if row else None

    async def on_target(self, community_id: int, target: str) -> list[DisputeRecord]:
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(disputes)
                .where(disputes.c.community_id == community_id, disputes.c.target == target)
                .order_by(disputes.c.id)
            )
            return [DisputeRecord.from_row(r) for r in rows]

    async def in_community(self, community_id: int, limit: int = 20) -> list[DisputeRecord]:
        """Open ones first, then the most recent."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(disputes)
                .where(disputes.c.community_id == community_id)
                .order_by(disputes.c.id.desc())
            )
            found = [DisputeRecord.from_row(r) for r in rows]
        found.sort(key=lambda d: (d.status == CLOSED, -d.id))
        return found[:limit]

    async def due(self, now: float) -> list[DisputeRecord]:
        """Disputes whose deadline or appeal window has passed (the job's scan)."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(disputes)
                .where(
                    ((disputes.c.status == OPEN) & (disputes.c.deadline <= now))
                    | (
                        (disputes.c.status == RULED)
                        & (func.coalesce(disputes.c.appeal_until, 0) <= now)
                    )
                    | ((disputes.c.status == OPEN) & (disputes.c.decider == "council"))
                )
                .order_by(disputes.c.id)
            )
            return [DisputeRecord.from_row(r) for r in rows]

    async def every(self) -> list[DisputeRecord]:
        async with self.db.read() as conn:
            rows = await conn.execute(select(disputes).order_by(disputes.c.id))
            return [DisputeRecord.from_row(r) for r in rows]

    async def jurors(self, dispute_id: int, round_: int | None = None) -> list[JurorRecord]:
        async with self.db.read() as conn:
            return await self._jurors(conn, dispute_id, round_)

    async def juror_rounds(self, member_id: int) -> list[JurorRecord]:
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(dispute_jurors).where(dispute_jurors.c.member_id == member_id)
            )
            return [JurorRecord.from_row(r) for r in rows]

    async def entries(self, dispute_id: int) -> list[AuditEntry]:
        """The dispute's audit entries in order: its timeline."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(audit_log)
                .where(audit_log.c.subject == dispute_subject(dispute_id))
                .order_by(audit_log.c.seq)
            )
            return [_entry(r)[0] for r in rows]

    async def voids(self) -> dict[int, int]:
        """contribution id → the dispute that voided it, for rows the ledger really
        left out (a voided credit restored by hand drops out of this map)."""
        c = contributions.c
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(dispute_voids.c.contribution_id, dispute_voids.c.dispute_id)
                .select_from(
                    dispute_voids.join(contributions, c.id == dispute_voids.c.contribution_id)
                )
                .where(c.retracted_at.is_not(None))
            )
            return {int(r[0]): int(r[1]) for r in rows}

    async def voided_for(self, receiver_ids: Sequence[int]) -> list[tuple[int, int, float]]:
        """(dispute number, credits voided, their weight) for credits these accounts received."""
        c = contributions.c
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(disputes.c.number, func.count(), func.sum(c.weight))
                .select_from(
                    dispute_voids.join(disputes, disputes.c.id == dispute_voids.c.dispute_id).join(
                        contributions, c.id == dispute_voids.c.contribution_id
                    )
                )
                .where(dispute_voids.c.receiver_id.in_(list(receiver_ids)))
                .group_by(disputes.c.number)
                .order_by(disputes.c.number)
            )
            return [(int(r[0]), int(r[1]), float(r[2] or 0.0)) for r in rows]

    async def credit_group(self, contribution_id: int) -> list[dict[str, Any]]:
        """The credit with this id and, when it was given to a message, every credit given
        to that message's author on it (one disputable credit: `credit:<lowest id>`)."""
        c = contributions.c
        async with self.db.read() as conn:
            row = (await conn.execute(select(contributions).where(c.id == contribution_id))).first()
            if row is None:
                return []
            m = row._mapping
            if m["message_id"] is None:
                return [dict(m)]
            rows = await conn.execute(
                select(contributions)
                .where(
                    c.community_id == m["community_id"],
                    c.platform == m["platform"],
                    c.channel_id == m["channel_id"],
                    c.message_id == m["message_id"],
                    c.receiver_id == m["receiver_id"],
                )
                .order_by(c.id)
            )
            return [dict(r._mapping) for r in rows]

    async def recent_credits(
        self, receiver_ids: Sequence[int], limit: int = 5
    ) -> list[tuple[int, str, int, float]]:
        """The latest live credited messages (or message-less credits) of these accounts:
        (lowest credit id of the message, kind, credits, weight), newest first."""
        c = contributions.c
        key = func.coalesce(c.message_id, cast(c.id, String))
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(
                    func.min(c.id),
                    func.min(c.kind),
                    func.count(),
                    func.sum(c.weight),
                    func.max(c.id),
                )
                .where(
                    c.receiver_id.in_(list(receiver_ids)),
                    c.counted.is_(True),
                    c.retracted_at.is_(None),
                    c.giver_id.is_not(None),
                )
                .group_by(c.platform, c.channel_id, key, c.receiver_id)
                .order_by(func.max(c.id).desc())
                .limit(limit)
            )
            return [(int(r[0]), str(r[1]), int(r[2]), float(r[3] or 0.0)) for r in rows]
