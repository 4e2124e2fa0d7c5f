"""/roles: each rule, whether you meet it, and why (your values against the thresholds);
/roles all (admins): who holds each role."""

from __future__ import annotations

from typing import Any

from handlers.core.context import Context
from handlers.core.errors import NotAllowed
from handlers.core.markup import bold, code
from handlers.core.registry import Param, Registry
from handlers.core.types import Reply
from handlers.reach.roles.grammar import show
from handlers.reach.roles.holders import holders_text
from handlers.reach.roles.sync import verdict_for

COMMANDS = Registry()

USAGE = "/roles [all]"
MARKS = {True: "✅ you meet it", False: "❌ you do not meet it", None: "❔ cannot tell now"}


@COMMANDS.command(
    "roles",
    "the roles that follow rules here: whether you meet each, and why",
    USAGE,
    Param("scope", str, "all: who holds each role (admins)", required=False, choices=("all",)),
    private=True,
)
async def roles(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    rules = ctx.deps.roles.rules
    everyone = str(args.get("scope") or "").casefold() == "all"
    if everyone and not ctx.is_admin:
        raise NotAllowed(
            "Only admins can see who holds each role; /roles shows your own.", usage=USAGE
        )
    if not rules:
        return [Reply("No roles follow rules here (no [[roles]] in the settings).", private=True)]
    if everyone:
        community = await ctx.community()
        text, counts = await holders_text(ctx.deps, community.id)
        return [Reply(text, private=True, meta={"holders": counts})]
    member = await ctx.member()
    lines: list[str] = []
    verdicts: dict[str, bool | None] = {}
    for rule in rules:
        verdict = await verdict_for(ctx.deps, rule, member, fresh=True)
        verdicts[rule.name] = verdict.holds
        where = []
        if rule.discord_role_id is not None:
            where.append("a Discord role")
        if rule.telegram_chat_id is not None:
            where.append("a Telegram group by request")
        place = f" ({', '.join(where)})" if where else ""
        lines.append(f"{bold(rule.name)}{place}: {code(show(rule.tree))} — {MARKS[verdict.holds]}")
        lines.extend(f"  · {reason}" for reason in verdict.reasons)
        problem = ctx.deps.roles.problems.get(rule.name)
        if problem:
            lines.append(f"  ⚠ not managed right now: {problem}")
    return [Reply("\n".join(lines), private=True, meta={"verdicts": verdicts})]
