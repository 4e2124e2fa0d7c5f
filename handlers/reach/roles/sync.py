"""Bring a member's roles in line with the rules, and say what was done.

For each rule that applies on the member's platform the member's facts are read and the
rule judged (evaluate.py); only a definite answer that differs from what the bot last
did (storage `role_states`) calls the platform, so re-checks are cheap and quiet.

* Discord: add or remove `discord_role_id` in the member's guild, and tell the member
  by DM what changed and why.
* Telegram (a gated group): members the bot admitted who no longer qualify are warned
  by DM, or removed (and told), per `role_checks.telegram_unqualified`; admission
  itself is the join-request listener (listeners.py).
* Console: no platform roles; the change is shown as a line in the chat.

A refusal the operator must fix (no Manage Roles, a role above the bot's) is logged
once per role and kept for /roles; nothing is recorded, so the next check tries again.
"""

from __future__ import annotations

import logging

from handlers.core.deps import Deps
from handlers.core.markup import bold
from handlers.core.types import Reply, Where
from handlers.reach.roles.evaluate import Verdict, explain
from handlers.reach.roles.facts import gather
from handlers.reach.roles.grammar import atoms
from handlers.reach.roles.policy import RoleRule
from handlers.reach.roles.ports import ABOVE_BOT, MISSING_PERMISSION, NOT_FOUND, RoleResult
from storage.records import MemberRecord
from storage.repos.roles import RoleState

log = logging.getLogger(__name__)

CONSOLE = Where("console", "console", "main")
PROBLEMS = {
    MISSING_PERMISSION: "the bot lacks the permission it needs ({detail})",
    ABOVE_BOT: "the role is above the bot's highest role, so it cannot be given ({detail})",
    NOT_FOUND: "not found on the platform ({detail})",
}


def rules_on(deps: Deps, platform: str, mentioning: str | None = None) -> list[RoleRule]:
    """Rules that act on `platform`, optionally only those using an atom kind."""
    return [
        r
        for r in deps.roles.rules
        if platform in r.platforms
        and (mentioning is None or any(a.kind == mentioning for a in atoms(r.tree)))
    ]


async def verdict_for(
    deps: Deps, rule: RoleRule, member: MemberRecord, *, fresh: bool = False
) -> Verdict:
    return explain(rule.tree, await gather(deps, member, atoms(rule.tree), fresh=fresh))


def note_problem(deps: Deps, rule: RoleRule, result: RoleResult) -> None:
    """Log an operator problem once per role (again only if it changes); /roles shows it."""
    template = PROBLEMS.get(result.outcome)
    if template is None:  # unavailable: a passing outage, retried at the next check
        log.info("role %s: platform unavailable: %s", rule.name, result.detail)
        return
    text = template.format(detail=result.detail or result.outcome)
    if deps.roles.problems.get(rule.name) != text:
        log.warning("role %s cannot be managed: %s", rule.name, text)
    deps.roles.problems[rule.name] = text


def _reason(why: str, verdict: Verdict) -> str:
    return f"{why}: " + "; ".join(verdict.reasons)


async def _record(
    deps: Deps, rule: RoleRule, member: MemberRecord, target: str, state: str, reason: str
) -> bool:
    return await deps.storage.roles.record(
        RoleState(
            member.id,
            rule.name,
            member.community_id,
            member.platform,
            target,
            state,
            reason,
            deps.clock.now(),
        )
    )


async def _should_move(deps: Deps, rule: RoleRule, member: MemberRecord, verdict: Verdict) -> bool:
    """A granted-or-not role moves only when the rule's answer is known and differs from
    what the bot last did (an unknown answer changes nobody's role)."""
    current = await deps.storage.roles.get(member.id, rule.name)
    held = current is not None and current.state == "granted"
    return verdict.holds is not None and verdict.holds != held


async def _discord(
    deps: Deps, rule: RoleRule, member: MemberRecord, verdict: Verdict, why: str
) -> list[Reply]:
    if not await _should_move(deps, rule, member, verdict):
        return []
    sink = deps.roles.sinks.get("discord")
    if sink is None:
        return []
    role_id = str(rule.discord_role_id)
    spaces = [
        s for p, s in await deps.storage.identity.spaces(member.community_id) if p == "discord"
    ]
    result = RoleResult(NOT_FOUND, "the member's community has no Discord server")
    for space in spaces:
        call = sink.grant if verdict.holds else sink.revoke
        result = await call(space, member.user_id, role_id)
        if result.outcome != NOT_FOUND:
            break
    if not result.ok:
        note_problem(deps, rule, result)
        return []
    deps.roles.problems.pop(rule.name, None)
    state = "granted" if verdict.holds else "revoked"
    reason = _reason(why, verdict)
    if not await _record(deps, rule, member, role_id, state, reason):
        return []
    log.info("role %s %s member=%s (%s)", rule.name, state, member.id, why)
    server = result.detail or "the server"
    if verdict.holds:
        text = f"🎖 You now hold the role {bold(rule.name)} on {server} ({reason})."
    else:
        text = (
            f"You no longer hold the role {bold(rule.name)} on {server} ({reason}). "
            "See /roles for what it needs."
        )
    await tell(deps, member, text)
    return []


async def tell(deps: Deps, member: MemberRecord, text: str) -> None:
    """A DM to the member about their role, whatever moved it (see RoleSink.tell)."""
    sink = deps.roles.sinks.get(member.platform)
    if sink is not None:
        await sink.tell(member.user_id, text)


async def _console(
    deps: Deps, rule: RoleRule, member: MemberRecord, verdict: Verdict, why: str
) -> list[Reply]:
    if not await _should_move(deps, rule, member, verdict):
        return []
    state = "granted" if verdict.holds else "revoked"
    if not await _record(deps, rule, member, "console", state, _reason(why, verdict)):
        return []
    name = member.display_name
    if verdict.holds:
        text = f"🎖 {name} now holds the role {bold(rule.name)} ({'; '.join(verdict.reasons)})."
    else:
        text = f"{name} no longer holds the role {bold(rule.name)} ({'; '.join(verdict.reasons)})."
    return [Reply(text, where=CONSOLE)]


def qualify_hint(deps: Deps, rule: RoleRule) -> str:
    """How to qualify, for a refused or warned applicant."""
    hint = "Link a wallet with /link <address>"
    if deps.wallets.policy.signing_page and deps.wallets.policy.signing_page_url:
        hint += f" (then sign on the signing page, {deps.wallets.policy.signing_page_url})"
    else:
        hint += " and sign the message it sends you"
    return hint + ", then see /roles for what you still need."


async def _telegram(
    deps: Deps, rule: RoleRule, member: MemberRecord, verdict: Verdict, why: str
) -> list[Reply]:
    """A member the gated group admitted: still qualified, warned, or removed."""
    current = await deps.storage.roles.get(member.id, rule.name)
    if current is None or current.state not in ("approved", "warned") or verdict.holds is None:
        return []
    chat = str(rule.telegram_chat_id)
    if verdict.holds:
        if current.state == "warned":  # qualifies again: nothing to tell
            await _record(deps, rule, member, chat, "approved", _reason(why, verdict))
        return []
    reasons = "; ".join(verdict.reasons)
    if deps.roles.checks.telegram_unqualified == "warn":
        if current.state == "warned":
            return []
        if not await _record(deps, rule, member, chat, "warned", _reason(why, verdict)):
            return []  # another process warned them first: one message
        text = (
            f"You no longer meet the rule of the group {bold(rule.name)} ({reasons}). "
            + qualify_hint(deps, rule)
        )
        await tell(deps, member, text)
        return []
    sink = deps.roles.sinks.get("telegram")
    if sink is None:
        return []
    result = await sink.remove(chat, member.user_id)
    if not result.ok:
        note_problem(deps, rule, result)
        return []
    deps.roles.problems.pop(rule.name, None)
    await _record(deps, rule, member, chat, "removed", _reason(why, verdict))
    text = (
        f"You were removed from the group {bold(rule.name)}: you no longer meet its rule "
        f"({reasons}). You may ask to join again once you do. " + qualify_hint(deps, rule)
    )
    await tell(deps, member, text)
    return []


_BY_PLATFORM = {"discord": _discord, "telegram": _telegram, "console": _console}


async def sync_member(
    deps: Deps, member: MemberRecord, why: str, mentioning: str | None = None
) -> list[Reply]:
    """Every applicable rule for one member account; what to say about it."""
    act = _BY_PLATFORM.get(member.platform)
    if act is None:
        return []
    replies: list[Reply] = []
    for rule in rules_on(deps, member.platform, mentioning):
        try:
            verdict = await verdict_for(deps, rule, member)
            replies.extend(await act(deps, rule, member, verdict, why))
        except Exception:
            log.exception("role check failed role=%s member=%s", rule.name, member.id)
    return replies


async def sync_community(
    deps: Deps, community_id: int | None, why: str, mentioning: str | None = None
) -> list[Reply]:
    """Every member (of one community, or all) that some rule may concern."""
    replies: list[Reply] = []
    for platform in ("discord", "console"):
        if not rules_on(deps, platform, mentioning):
            continue
        for member in await deps.storage.roles.members_on(platform):
            if community_id is None or member.community_id == community_id:
                replies.extend(await sync_member(deps, member, why, mentioning))
    for rule in rules_on(deps, "telegram", mentioning):
        for state in await deps.storage.roles.in_states(rule.name, ("approved", "warned")):
            if community_id is not None and state.community_id != community_id:
                continue
            admitted = await deps.storage.members.get(state.member_id)
            if admitted is not None:
                replies.extend(await sync_member(deps, admitted, why, mentioning))
    return replies


async def recheck(deps: Deps) -> list[Reply]:
    """The periodic job: balances move without telling anyone."""
    if not deps.roles.rules:
        return []
    return await sync_community(deps, None, "periodic re-check")
