"""Reading `/council create <name> key=value …` and `/council set <name> key=value …`.

Every value is checked here, before anything is written, and a refusal names the key
and the right form. Powers (veto, recall, council votes) may be changed later with
`/council set`; the electoral rules (seats, term, method, cohorts, electorate, who may
stand) are fixed when the council is created, because sitting members were elected
under them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from handlers.core.errors import BadArguments
from handlers.councils.policy import CouncilPolicy
from handlers.councils.terms import HOUR, cycle_seconds, lead_seconds
from handlers.proposals.policy import Policy
from handlers.voting.rules.committees import RULES as APPROVAL_RULES
from handlers.voting.rules.stv import RULES as STV_RULES

CREATE_USAGE = (
    "/council create <name> seats=N term=<days> method=stv|approval [cohorts=2] "
    "[electorate=member] [nomination=<hours>] [voting=<hours>] [rule=…] "
    "[min_reputation=N] [require_wallet=yes] [veto_profiles=treasury] [veto_hours=48] "
    "[recall_threshold=66%] [council_votes=yes]"
)
SET_USAGE = (
    "/council set <name> [veto_profiles=treasury,quick|none] [veto_hours=48] "
    "[recall_threshold=66%] [council_votes=yes|no]"
)
METHODS = ("stv", "approval")
MAX_SEATS = 25
MAX_TERM_DAYS = 3650.0
RESERVED = ("create", "set")
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,39}")
POWER_KEYS = ("veto_profiles", "veto_hours", "recall_threshold", "council_votes")
CREATE_KEYS = (
    "seats",
    "term",
    "method",
    "cohorts",
    "electorate",
    "nomination",
    "voting",
    "rule",
    "min_reputation",
    "require_wallet",
    *POWER_KEYS,
)


@dataclass(frozen=True, slots=True)
class CouncilSpec:
    """A council as `/council create` describes it, every value checked."""

    name: str
    seats: int
    term_days: float
    method: str
    options: dict[str, Any]
    cohorts: int
    electorate: str
    nomination_hours: float
    voting_hours: float
    min_reputation: float | None
    require_wallet: bool
    powers: dict[str, Any] = field(default_factory=dict)


def split_words(text: str, usage: str) -> tuple[str, dict[str, str]]:
    """`<name> key=value …` → (name, options); refuses unknown forms and repeated keys."""
    words = text.split()
    if not words or "=" in words[0]:
        raise BadArguments("Name the council first.", usage=usage)
    name, options = words[0], {}
    for word in words[1:]:
        key, eq, value = word.partition("=")
        key = key.casefold()
        if not eq or not key:
            raise BadArguments(f'"{word[:40]}" is not key=value.', usage=usage)
        if not value:
            raise BadArguments(f"{key}= needs a value, like {key}=…", usage=usage)
        if key in options:
            raise BadArguments(f"{key}= is given twice.", usage=usage)
        options[key] = value
    return name, options


def check_name(name: str, usage: str = CREATE_USAGE) -> str:
    if not NAME.fullmatch(name):
        raise BadArguments(
            f'"{name[:40]}" cannot name a council: use a letter, then letters, digits, '
            "- or _ (at most 40).",
            usage=usage,
        )
    if name.casefold() in RESERVED:
        raise BadArguments(
            f'"{name}" is a word of /council itself; pick another name.', usage=usage
        )
    return name


def _number(key: str, raw: str, usage: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise BadArguments(f'{key}= takes a number, not "{raw[:20]}".', usage=usage) from None
    if not math.isfinite(value):
        raise BadArguments(f'{key}= takes a number, not "{raw[:20]}".', usage=usage)
    return value


def _flag(key: str, raw: str, usage: str) -> bool:
    text = raw.casefold()
    if text in ("yes", "true", "on", "1", "y"):
        return True
    if text in ("no", "false", "off", "0", "n"):
        return False
    raise BadArguments(f'{key}= takes yes or no, not "{raw[:20]}".', usage=usage)


def _hours(key: str, raw: str, policy: Policy, usage: str) -> float:
    hours = _number(key, raw, usage)
    low, high = policy.voting.min_hours, policy.voting.max_hours
    if not low <= hours <= high:
        raise BadArguments(f"{key}= must be between {low:g} and {high:g} hours.", usage=usage)
    return hours


def _share(key: str, raw: str, usage: str) -> float:
    text = raw.strip()
    value = _number(key, text.rstrip("%"), usage)
    fraction = value / 100 if text.endswith("%") or value > 1 else value
    if not 0 < fraction <= 1:
        raise BadArguments(f"{key}= must be above 0% and at most 100%.", usage=usage)
    return fraction


def read_powers(
    options: dict[str, str], policy: Policy, defaults: CouncilPolicy, usage: str
) -> dict[str, Any]:
    """The power keys present in `options`, checked."""
    powers: dict[str, Any] = {}
    if "veto_profiles" in options:
        raw = options["veto_profiles"]
        names = [] if raw.casefold() == "none" else [p.strip().casefold() for p in raw.split(",")]
        known = policy.proposals.profiles
        for name in names:
            if name not in known:
                listed = ", ".join(sorted(known)) or "none defined"
                raise BadArguments(
                    f'veto_profiles=: there is no profile "{name[:40]}". Profiles: {listed}.',
                    usage=usage,
                )
        powers["veto_profiles"] = sorted(set(names))
    if "veto_hours" in options:
        powers["veto_hours"] = _hours("veto_hours", options["veto_hours"], policy, usage)
    if "recall_threshold" in options:
        powers["recall_threshold"] = _share("recall_threshold", options["recall_threshold"], usage)
    if "council_votes" in options:
        powers["council_votes"] = _flag("council_votes", options["council_votes"], usage)
    return powers


def read_create(text: str, policy: Policy, defaults: CouncilPolicy) -> CouncilSpec:
    """The whole `/council create` line (after the word create), checked."""
    usage = CREATE_USAGE
    name, options = split_words(text, usage)
    check_name(name)
    unknown = [k for k in options if k not in CREATE_KEYS]
    if unknown:
        raise BadArguments(
            f"Unknown option {unknown[0]}=. Options: {', '.join(CREATE_KEYS)}.", usage=usage
        )
    for needed in ("seats", "term", "method"):
        if needed not in options:
            raise BadArguments(f"Say {needed}=…, e.g. seats=5 term=90 method=stv.", usage=usage)
    seats_raw = options["seats"]
    if not re.fullmatch(r"-?\d{1,4}", seats_raw):
        raise BadArguments(f'seats= takes a whole number, not "{seats_raw[:20]}".', usage=usage)
    seats = int(seats_raw)
    if not 1 <= seats <= MAX_SEATS:
        raise BadArguments(f"seats= must be between 1 and {MAX_SEATS}.", usage=usage)
    term = _number("term", options["term"], usage)
    if term <= 0:
        raise BadArguments("term= is a number of days above 0.", usage=usage)
    if term > MAX_TERM_DAYS:
        raise BadArguments(f"term= is at most {MAX_TERM_DAYS:g} days.", usage=usage)
    method = options["method"].casefold()
    if method not in METHODS:
        raise BadArguments(
            f'Unknown method "{method[:20]}": a council is elected by stv or approval.',
            usage=usage,
        )
    rules = STV_RULES if method == "stv" else APPROVAL_RULES
    rule = options.get("rule", rules[0] if method == "stv" else "pav").casefold()
    if rule not in rules:
        raise BadArguments(
            f'Unknown rule "{rule[:20]}" for method={method}: {" or ".join(rules)}.', usage=usage
        )
    method_options = {"stv_rule": rule} if method == "stv" else {"rule": rule}
    cohorts_raw = options.get("cohorts", "1")
    if cohorts_raw not in ("1", "2"):
        raise BadArguments(f'cohorts= is 1 or 2, not "{cohorts_raw[:20]}".', usage=usage)
    cohorts = int(cohorts_raw)
    if cohorts == 2 and seats < 2:
        raise BadArguments("cohorts=2 needs at least 2 seats.", usage=usage)
    nomination = (
        _hours("nomination", options["nomination"], policy, usage)
        if "nomination" in options
        else defaults.nomination_hours
    )
    voting = (
        _hours("voting", options["voting"], policy, usage)
        if "voting" in options
        else defaults.voting_hours
    )
    lead = lead_seconds(nomination, voting)
    cycle = cycle_seconds(term, cohorts)
    if lead > cycle:
        half = " (half the term, with cohorts=2)" if cohorts == 2 else ""
        raise BadArguments(
            f"Nominations ({nomination:g} h, extended once if need be) and the vote "
            f"({voting:g} h) take {lead / HOUR:g} h; they must fit between two elections: "
            f"{cycle / HOUR:g} h{half}. Use a longer term= or shorter nomination=/voting=.",
            usage=usage,
        )
    min_reputation: float | None = None
    if "min_reputation" in options:
        min_reputation = _number("min_reputation", options["min_reputation"], usage)
        if min_reputation < 0:
            raise BadArguments("min_reputation= cannot be negative.", usage=usage)
    require_wallet = _flag("require_wallet", options.get("require_wallet", "no"), usage)
    electorate = options.get("electorate", policy.voting.default_weight)
    powers = read_powers(options, policy, defaults, usage)
    return CouncilSpec(
        name=name,
        seats=seats,
        term_days=term,
        method=method,
        options=method_options,
        cohorts=cohorts,
        electorate=electorate,
        nomination_hours=nomination,
        voting_hours=voting,
        min_reputation=min_reputation,
        require_wallet=require_wallet,
        powers=powers,
    )


def read_set(text: str, policy: Policy, defaults: CouncilPolicy) -> tuple[str, dict[str, Any]]:
    """`/council set <name> key=value …`: the council's name and the powers to change."""
    name, options = split_words(text, SET_USAGE)
    unknown = [k for k in options if k not in POWER_KEYS]
    if unknown:
        raise BadArguments(
            f"/council set changes {', '.join(POWER_KEYS)}, not {unknown[0]}=.", usage=SET_USAGE
        )
    if not options:
        raise BadArguments("Say what to change.", usage=SET_USAGE)
    return name, read_powers(options, policy, defaults, SET_USAGE)
