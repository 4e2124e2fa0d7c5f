"""The fair leaderboard: which ratings count, how much, and which fit ranks them.

One place applies, in this order, the rules the chat, the CLI and the rewards share:

1. battles whose output still names a model (hygiene.leaked_name) are left out, if
   `exclude_leaks`;
2. ratings cast faster than the reading-time floor are not counted;
3. gold battles inform the rater checks only, never the ratings of models;
4. every remaining rating counts with its rater's weight (raters.check_raters) when
   `weight_by_quality`;
5. an optional category keeps only battles carrying it (too few: not ranked);
6. the fit is style-controlled (style_fit) when asked, or by default when
   `style_control` is on, or auto with at least `style_min_battles` counted battles;
   plain Bradley–Terry (bt) otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from handlers.arena import bt, hygiene, style, style_fit
from handlers.arena.battles import CHOICE_OF_WINNER, WINNER_OF_CHOICE, BattleRow, counts_of
from handlers.arena.policy import ArenaPolicy
from handlers.arena.raters import RaterCheck, Vote, check_raters
from storage.repos.arena import RatedBattle


def in_time(r: RatedBattle, policy: ArenaPolicy) -> bool:
    return hygiene.read_in_time(
        r.created_at,
        r.cast_at,
        r.output_chars,
        policy.reading_chars_per_second,
        policy.reading_floor_max_seconds,
    )


def trusted(r: RatedBattle, policy: ArenaPolicy) -> bool:
    """Counted at all: not a leaked battle, not too fast (gold battles included)."""
    return not (policy.exclude_leaks and r.leak) and in_time(r, policy)


def counts_for_models(r: RatedBattle, policy: ArenaPolicy) -> bool:
    """Enters the model ratings: trusted and not a gold battle."""
    return r.gold is None and trusted(r, policy)


def rater_checks(rated: list[RatedBattle], policy: ArenaPolicy) -> dict[int, RaterCheck]:
    return check_raters(
        (Vote(r.battle_id, r.member_id, r.choice, r.gold) for r in rated if trusted(r, policy)),
        gold_pass=policy.gold_pass,
        z=policy.rater_z,
        min_weight=policy.rater_min_weight,
    )


def rating_weight(checks: dict[int, RaterCheck], member_id: int) -> float:
    check = checks.get(member_id)
    return 1.0 if check is None else check.weight


@dataclass(frozen=True)
class FairBoard:
    standings: list[bt.Standing]
    style: bool
    counted: int  # ratings in the fit
    leaked: int  # battles left out for naming a model
    too_fast: int  # ratings under the reading-time floor
    category: str | None = None
    category_battles: int = 0
    too_few: bool = False  # the category has fewer than category_min_battles battles
    coefficients: dict[str, float] = field(default_factory=dict)


def style_on(requested: bool | None, counted: int, policy: ArenaPolicy) -> bool:
    if requested is not None:
        return requested
    if policy.style_control == "auto":
        return counted >= policy.style_min_battles
    return policy.style_control == "on"


def fit_board(
    rated: list[RatedBattle],
    policy: ArenaPolicy,
    *,
    style_requested: bool | None = None,
    category: str | None = None,
    rounds: int | None = None,
    min_battles: int | None = None,
    seed: int | None = 0,
    anchor: tuple[str, float] | None = None,
) -> FairBoard:
    rounds = policy.bootstrap_rounds if rounds is None else rounds
    minimum = policy.min_battles if min_battles is None else min_battles
    leaked = len({r.battle_id for r in rated if r.leak}) if policy.exclude_leaks else 0
    too_fast = sum(
        1 for r in rated if not (policy.exclude_leaks and r.leak) and not in_time(r, policy)
    )
    checks = rater_checks(rated, policy)
    used = [r for r in rated if counts_for_models(r, policy)]
    category_battles = 0
    if category is not None:
        used = [r for r in used if category in r.categories]
        category_battles = len({r.battle_id for r in used})
        if category_battles < policy.category_min_battles:
            return FairBoard(
                [], False, len(used), leaked, too_fast, category, category_battles, True
            )
    weights = None
    if policy.weight_by_quality and used:
        weights = [rating_weight(checks, r.member_id) for r in used]
        if all(w == 1.0 for w in weights):
            weights = None
    styled = style_on(style_requested, len(used), policy) and bool(used)
    if not styled:
        rows = [
            BattleRow(r.model_a, r.model_b, WINNER_OF_CHOICE[r.choice], r.judge, r.cast_at)
            for r in used
        ]
        standings = bt.leaderboard(
            counts_of(rows, weights), rounds=rounds, min_battles=minimum, seed=seed, anchor=anchor
        )
        return FairBoard(standings, False, len(used), leaked, too_fast, category, category_battles)
    x = style.features([r.style or {} for r in used])
    data = style_fit.prepare_named(
        [r.model_a for r in used],
        [r.model_b for r in used],
        [WINNER_OF_CHOICE[r.choice] for r in used],
        x,
    )
    board = style_fit.leaderboard(
        data,
        weights=None if weights is None else np.asarray(weights),
        rounds=rounds,
        min_battles=minimum,
        seed=seed,
        anchor=anchor,
    )
    coefficients = dict(zip(style.ELEMENT_NAMES, board.coefficients.tolist(), strict=True))
    return FairBoard(
        board.standings,
        True,
        len(used),
        leaked,
        too_fast,
        category,
        category_battles,
        False,
        coefficients,
    )


def from_rows(rows: list[BattleRow]) -> list[RatedBattle]:
    """Battles read from a FastChat file as ratings (one judge = one rater, no floor)."""
    judges: dict[str, int] = {}
    return [
        RatedBattle(
            i,
            0,
            r.model_a,
            r.model_b,
            CHOICE_OF_WINNER[r.winner],
            judges.setdefault(r.judge, len(judges) + 1),
            r.judge,
            r.tstamp,
            r.tstamp,
            0,
            r.conv_metadata,
            r.categories,
        )
        for i, r in enumerate(rows, 1)
    ]


def board_note(board: FairBoard) -> str:
    """What the leaderboard text adds: the fit, the style effects, what was left out."""
    parts = []
    if board.style:
        effects = ", ".join(f"{k} {v:+.2f}" for k, v in board.coefficients.items())
        parts.append(f"Style-controlled (effects on the log-odds, per sd: {effects}).")
    else:
        parts.append("Not style-controlled.")
    if left := left_out_note(board):
        parts.append(left)
    return " ".join(parts)


def left_out_note(board: FairBoard) -> str:
    """The "Left out: …" sentence: battles naming a model, ratings under the floor."""
    left = []
    if board.leaked:
        left.append(f"{board.leaked} battle{'s' if board.leaked != 1 else ''} naming a model")
    if board.too_fast:
        left.append(
            f"{board.too_fast} rating{'s' if board.too_fast != 1 else ''} faster than reading"
        )
    return "Left out: " + "; ".join(left) + "." if left else ""
