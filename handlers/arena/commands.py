"""/arena, the rating buttons, reveals, /leaderboard and /raters."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from handlers.arena import bt, categories, hygiene
from handlers.arena.battles import CHOICE_LABELS, WINNER_OF_CHOICE, redact, split
from handlers.arena.board import board_chart, board_text
from handlers.arena.fair import board_note, fit_board, left_out_note, rater_checks
from handlers.arena.fair import in_time as _in_time
from handlers.arena.pairing import choose_pair
from handlers.arena.ports import ModelError, TextModel
from handlers.arena.style import style_metadata
from handlers.communities.fanout import copies_elsewhere
from handlers.communities.identity import voter_of
from handlers.core.context import Context
from handlers.core.deps import Deps
from handlers.core.dispatch import Dispatcher
from handlers.core.errors import BadArguments, NotAllowed, NotFound, TryAgain, VotingClosed
from handlers.core.events import BattleRated
from handlers.core.markup import block, bold
from handlers.core.registry import Param, Registry
from handlers.core.types import Button, CardKey, Reply, Where
from storage.repos.arena import BattleRecord, NewBattle, QueuedPair

log = logging.getLogger(__name__)

KIND = "arena"
OFFLINE_NOTE = "Offline demo provider: these outputs come from a bundled file, not a live model."
IMPORTED_NOTE = "Imported pair: pre-generated outputs."
ARENA_USAGE = "/arena [category=NAME[,NAME]] [prompt]"
BOARD_USAGE = "/leaderboard [style=on|off] [category=NAME]"


def card_key(battle: BattleRecord) -> CardKey:
    return CardKey(KIND, battle.community_id, battle.id)


def _names_to_hide(deps: Deps, extra: tuple[str, ...] = ()) -> list[str]:
    names: list[str] = list(extra)
    for model in deps.arena.models.values():
        names += [model.name, model.vendor, *model.aliases]
    return names


def battle_card(deps: Deps, battle: BattleRecord, ratings: int) -> Reply:
    """The card: prompt and both outputs; counts hidden until reveal, then the split."""
    policy = deps.arena.policy
    lines = [bold(f"Arena battle #{battle.id}") + " · blind A/B", "", bold("Prompt"), battle.prompt]
    lines += [
        "",
        bold("Output A"),
        block(battle.output_a),
        bold("Output B"),
        block(battle.output_b),
    ]
    note = battle.origin.get("note")
    if note:
        lines.append(str(note))
    buttons: tuple[Button, ...] = ()
    if battle.status == "open":
        lines.append(
            f"{ratings} rating{'s' if ratings != 1 else ''} so far; the split stays hidden "
            f"until the reveal ({policy.reveal_votes} ratings or "
            f"{policy.reveal_minutes:g} minutes). You can change your rating until then."
        )
        buttons = tuple(
            Button(label, "arena", (str(battle.id), choice))
            for choice, label in CHOICE_LABELS.items()
        )
    else:
        result = battle.result or {}
        lines.append(
            bold("Revealed") + f": A was {battle.model_a} · B was {battle.model_b}. "
            f"Split: A {result.get('a', 0):g} · B {result.get('b', 0):g} · "
            f"Tie {result.get('tie', 0):g} · Both bad {result.get('bothbad', 0):g}."
        )
    return Reply(
        "\n".join(lines), buttons=buttons, card=card_key(battle), title=f"Arena #{battle.id}"
    )


async def render_card(deps: Deps, key: CardKey) -> Reply | None:
    battle = await deps.storage.arena.get(key.subject_id)
    if battle is None:
        return None
    ratings = await deps.storage.arena.ratings(battle.id)
    return battle_card(deps, battle, len(ratings))


def _origin_where(battle: BattleRecord) -> Where | None:
    o = battle.origin
    if not o.get("platform"):
        return None
    return Where(o["platform"], o["space_id"], o["channel_id"], o.get("thread_id"))


async def reveal(deps: Deps, battle: BattleRecord, *, route: bool) -> list[Reply]:
    """Reveal once: store the split, edit the card, announce the models."""
    ratings = await deps.storage.arena.ratings(battle.id)
    totals = split(r.choice for r in ratings)
    result = {k: v for k, v in totals.items()} | {"ratings": len(ratings)}
    done = await deps.storage.arena.reveal(battle.id, result, at=deps.clock.now())
    if done is None:
        return []
    where = _origin_where(done) if route else None
    card = battle_card(deps, done, len(ratings))
    announce = (
        f"Arena battle #{done.id} revealed: A was {bold(done.model_a)}, B was "
        f"{bold(done.model_b)}. Split: A {totals['a']:g} · B {totals['b']:g} · "
        f"Tie {totals['tie']:g} · Both bad {totals['bothbad']:g}."
    )
    return [
        Reply(card.text, buttons=(), card=card.card, edit=True, where=where),
        Reply(announce, where=where),
    ]


async def reveal_due(deps: Deps) -> list[Reply]:
    """Battles whose time window has passed (the scheduler calls this)."""
    replies: list[Reply] = []
    for battle in await deps.storage.arena.due(deps.clock.now()):
        replies += await reveal(deps, battle, route=True)
    return replies


async def _generate(model: TextModel, prompt: str) -> str:
    return await model.generate(prompt)


async def _fresh_pair(ctx: Context, prompt: str) -> tuple[str, str, str, str, str]:
    """Two configured models answer concurrently; any failure means no battle at all."""
    deps = ctx.deps
    models = deps.arena.models
    if len(models) < 2:
        raise TryAgain("The arena needs at least two configured models; ask an admin.")
    community = await ctx.community()
    rated = await deps.storage.arena.rated(community.id)
    battles_by_pair: dict[tuple[str, str], set[int]] = {}
    rows_a, rows_b, winners = [], [], []
    for r in rated:
        first, second = sorted((r.model_a, r.model_b))
        battles_by_pair.setdefault((first, second), set()).add(r.battle_id)
        rows_a.append(r.model_a)
        rows_b.append(r.model_b)
        winners.append(WINNER_OF_CHOICE[r.choice])
    pair_battles = {pair: len(ids) for pair, ids in battles_by_pair.items()}
    ratings: dict[str, float] = {}
    if rated:
        counts = bt.collapse(rows_a, rows_b, winners)
        ratings = dict(
            zip(counts.models, bt.to_ratings(bt.fit(counts), counts.models), strict=True)
        )
    name_a, name_b = choose_pair(
        list(models), pair_battles, ratings, deps.arena.rng, floor=deps.arena.policy.uniform_share
    )
    results = await asyncio.gather(
        _generate(models[name_a], prompt), _generate(models[name_b], prompt), return_exceptions=True
    )
    for name, result in ((name_a, results[0]), (name_b, results[1])):
        if isinstance(result, BaseException):
            reason = str(result) if isinstance(result, ModelError) else "unexpected error"
            if not isinstance(result, ModelError):
                log.error("arena model failed model=%s error=%r", name, result)
            raise TryAgain(
                f'Model "{name}" did not answer ({reason}). No battle was started; try again.'
            )
    output_a, output_b = str(results[0]), str(results[1])
    offline = models[name_a].offline or models[name_b].offline
    return name_a, output_a, name_b, output_b, OFFLINE_NOTE if offline else ""


def _prepare(deps: Deps, text: str, extra: tuple[str, ...]) -> str:
    text = text.strip()
    limit = deps.arena.policy.max_output_chars
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    hidden, _ = redact(text, _names_to_hide(deps, extra))
    return hidden


async def _next_queued(deps: Deps) -> QueuedPair | None:
    """The next imported pair, or (at `gold_rate`, or when only gold is left) a gold pair."""
    ordinary = await deps.storage.arena.peek_queued()
    if deps.arena.policy.gold_rate > 0 or ordinary is None:
        golds = await deps.storage.arena.gold_pairs()
        if golds and (ordinary is None or deps.arena.rng.random() < deps.arena.policy.gold_rate):
            return deps.arena.rng.choice(golds)
    return ordinary


async def _model_categories(deps: Deps, prompt: str) -> list[str]:
    """Categories the configured classifying model names (setting `category_model`).

    Best effort: a failure, a timeout (the model's own `timeout`) or an answer naming no
    configured category leaves the battle to the given, imported and table categories;
    it never stops the battle.
    """
    name = deps.arena.policy.category_model
    model = deps.arena.models.get(name) if name else None
    if model is None:
        return []
    try:
        reply = await model.generate(
            categories.classify_prompt(prompt, deps.arena.policy.categories)
        )
    except ModelError as error:
        log.warning("arena category model failed model=%s error=%s", name, error)
        return []
    except Exception as error:  # a provider bug must not cost the battle
        log.error("arena category model failed model=%s error=%r", name, error)
        return []
    return categories.from_model_reply(reply, deps.arena.policy.categories)


COMMANDS = Registry()


@COMMANDS.command(
    "arena",
    "start a blind A/B battle between two models (no prompt: the next imported pair)",
    ARENA_USAGE,
    Param("prompt", str, "what both models should answer", required=False, rest=True),
    writes=True,
    examples=("/arena Explain recursion to a child", "/arena category=coding Reverse a list"),
)
async def arena(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    deps = ctx.deps
    policy = deps.arena.policy
    given, rest = categories.split_option(args["prompt"] or "")
    if given is not None:
        wrong = categories.unknown(given, policy.categories) if given else ["(none)"]
        if wrong:
            raise BadArguments(
                f"Unknown category {', '.join(wrong)}; known: "
                f"{', '.join(sorted(policy.categories)) or 'none'}.",
                usage=ARENA_USAGE,
            )
    prompt: str | None = rest.strip() or None
    queued: QueuedPair | None = None
    gold: str | None = None
    if prompt:
        if len(prompt) > policy.max_prompt_chars:
            raise BadArguments(
                f"The prompt is {len(prompt):,} characters; the limit is "
                f"{policy.max_prompt_chars:,}.",
                usage=ARENA_USAGE,
            )
        name_a, out_a, name_b, out_b, note = await _fresh_pair(ctx, prompt)
    else:
        queued = await _next_queued(deps)
        if queued is None:
            raise NotFound(
                "No imported pairs are waiting. Give a prompt (/arena <prompt>) or "
                "import pairs with `govbot arena import FILE.jsonl`."
            )
        prompt = queued.prompt
        if deps.arena.rng.random() < 0.5:
            name_a, out_a, name_b, out_b = (
                queued.model_a,
                queued.output_a,
                queued.model_b,
                queued.output_b,
            )
        else:
            name_a, out_a, name_b, out_b = (
                queued.model_b,
                queued.output_b,
                queued.model_a,
                queued.output_a,
            )
        note = IMPORTED_NOTE
        if queued.gold is not None:
            gold = "a" if queued.gold == name_a else "b"
    extra = (name_a, name_b)
    output_a, output_b = _prepare(deps, out_a, extra), _prepare(deps, out_b, extra)
    if not output_a or not output_b:
        raise TryAgain("One of the models gave an empty answer. No battle was started.")
    leak = hygiene.leaked_name((output_a, output_b), _names_to_hide(deps, extra))
    carried = categories.assign(
        prompt,
        policy.categories,
        given or (),
        queued.categories if queued else (),
    )
    carried = tuple(sorted(set(carried) | set(await _model_categories(deps, prompt))))
    community = await ctx.community()
    member = await ctx.member()
    where = ctx.event.where
    now = ctx.now()
    battle = await deps.storage.arena.create_battle(
        NewBattle(
            community_id=community.id,
            prompt=prompt,
            model_a=name_a,
            output_a=output_a,
            model_b=name_b,
            output_b=output_b,
            author_id=member.id if queued is None else None,
            origin={
                "platform": where.platform,
                "space_id": where.space_id,
                "channel_id": where.channel_id,
                "thread_id": where.thread_id,
                "note": note,
            },
            created_at=now,
            reveal_at=now + policy.reveal_minutes * 60.0,
            queue_id=queued.id if queued and gold is None else None,
            style=style_metadata(output_a, output_b),
            categories=carried,
            gold=gold,
            leak=leak,
        )
    )
    if battle is None:
        raise TryAgain("That imported pair was just taken by another battle; try again.")
    card = battle_card(deps, battle, 0)  # and a copy on each other platform
    return [card, *copies_elsewhere(deps, community.id, where, card)]


@COMMANDS.press("arena")
async def rate(ctx: Context, args: tuple[str, ...]) -> list[Reply]:
    if len(args) != 2 or not args[0].isdigit() or args[1] not in CHOICE_LABELS:
        raise BadArguments("That arena button is malformed.")
    deps = ctx.deps
    battle = await deps.storage.arena.get(int(args[0]))
    community = await ctx.community()
    if battle is None or battle.community_id != community.id:
        raise NotFound("That battle is not part of this community.")
    if battle.status != "open":
        raise VotingClosed(f"Battle #{battle.id} is already revealed.")
    if ctx.now() >= battle.reveal_at:
        replies = await reveal(deps, battle, route=False)
        return [Reply(f"Rating on battle #{battle.id} has ended."), *replies]
    member = await ctx.member()
    voter = await voter_of(deps, member)  # one rating per person across platforms
    if not deps.arena.policy.author_may_rate and battle.author_id in (member.id, voter.id):
        raise NotAllowed("You wrote this battle's prompt, so you cannot rate it.")
    outcome = await deps.storage.arena.vote(battle.id, voter.id, args[1], at=ctx.now())
    if outcome.refused is not None:
        raise VotingClosed(f"Battle #{battle.id} is already revealed.")
    if not outcome.replaced:
        await deps.events.publish(deps, BattleRated(ctx, battle, voter))
    label = CHOICE_LABELS[args[1]]
    text = f"Your rating on battle #{battle.id} is recorded: {label}." + (
        " It replaces your earlier rating." if outcome.replaced else ""
    )
    replies = [Reply(text + " The split stays hidden until the reveal.", private=True)]
    ratings = await deps.storage.arena.ratings(battle.id)
    if len(ratings) >= deps.arena.policy.reveal_votes:
        replies += await reveal(deps, battle, route=False)
    else:
        replies.append(Reply("", card=card_key(battle), edit=True))
    return replies


def board_options(text: str, known: dict[str, list[str]]) -> tuple[bool | None, str | None]:
    """`style=on|off` and `category=NAME` from the /leaderboard line; anything else refused."""
    style: bool | None = None
    category: str | None = None
    for token in text.split():
        key, _, value = token.partition("=")
        key, value = key.lower(), value.lower()
        if key == "style" and value in ("on", "off"):
            style = value == "on"
        elif key == "category" and value in known:
            category = value
        elif key == "category":
            raise BadArguments(
                f"Unknown category {value or '(none)'}; known: {', '.join(sorted(known))}.",
                usage=BOARD_USAGE,
            )
        else:
            raise BadArguments(f"Unknown option {token!r}.", usage=BOARD_USAGE)
    return style, category


@COMMANDS.command(
    "leaderboard",
    "model ratings with 95% intervals and a chart (style-controlled, per category)",
    BOARD_USAGE,
    Param("options", str, "style=on|off, category=NAME", required=False, rest=True),
    examples=("/leaderboard", "/leaderboard style=off", "/leaderboard category=coding"),
)
async def leaderboard(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    deps = ctx.deps
    policy = deps.arena.policy
    style, category = board_options(args.get("options") or "", policy.categories)
    community = await ctx.community()
    rated = await deps.storage.arena.rated(community.id)
    board = fit_board(rated, policy, style_requested=style, category=category)
    if board.too_few:
        return [
            Reply(
                f"Category {category} has {board.category_battles} counted battle"
                f"{'s' if board.category_battles != 1 else ''}; it is ranked from "
                f"{policy.category_min_battles} (arena.category_min_battles). Not ranked yet."
            )
        ]
    standings = board.standings
    if not standings:
        if left := left_out_note(board):  # ratings exist, none of them counts
            return [Reply(f"No counted arena battles yet. {left}")]
        return [Reply("No revealed arena battles yet. Start one with /arena <prompt>.")]
    suffix = f"-{category}" if category else ""
    path = deps.charts_dir / f"arena-leaderboard-{community.id}{suffix}.png"
    chart = await asyncio.to_thread(board_chart, path, standings)
    title = "Arena leaderboard" + (f" · {category}" if category else "")
    text = board_text(standings, title=title) + "\n" + board_note(board)
    if any(m.offline for m in deps.arena.models.values()):
        text += "\n" + "Includes outputs from the offline demo provider."
    return [Reply(text, image=str(chart))]


@COMMANDS.command(
    "raters",
    "admins: rater checks (gold battles, side bias, consensus) and weights",
    "/raters",
    admin_only=True,
    private=True,
)
async def raters(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    community = await ctx.community()
    policy = ctx.deps.arena.policy
    rated = await ctx.deps.storage.arena.rated(community.id)
    if not rated:
        return [Reply("No ratings on revealed battles yet.", private=True)]
    checks = rater_checks(rated, policy)
    names = await ctx.deps.storage.members.names({r.member_id for r in rated})
    fast: dict[int, int] = {}
    for r in rated:
        if not (policy.exclude_leaks and r.leak) and not _in_time(r, policy):
            fast[r.member_id] = fast.get(r.member_id, 0) + 1
    lines = ["Rater checks (gold battles, side pressed, agreement with the others' majority):"]
    members = sorted({r.member_id for r in rated})
    for m in sorted(members, key=lambda m: (-(checks[m].ratings if m in checks else 0), m)):
        q = checks.get(m)
        name = names.get(m, m)
        if q is None:
            lines.append(f"{name}: no counted ratings · {fast.get(m, 0)} too fast")
            continue
        share = "—" if q.a_share is None else f"{q.a_share:.0%}"
        why = "; ".join(q.reasons) or "no issue"
        extra = f" · {fast[m]} too fast (not counted)" if fast.get(m) else ""
        lines.append(
            f"{name}: {q.ratings} ratings · gold {q.gold_right}/{q.gold_seen} · A share "
            f"{share} · agreement {q.agreed}/{q.compared} · weight {q.weight:.2f} ({why}){extra}"
        )
    mode = "on" if policy.weight_by_quality else "off"
    lines.append(
        f"Weights apply in the fit ({mode}: arena.weight_by_quality) and in the raters' "
        "reward pool. Formulas: README, A fairer arena."
    )
    return [Reply("\n".join(lines), private=True)]


def install(dispatcher: Dispatcher) -> None:
    dispatcher.card_renderers[KIND] = render_card
