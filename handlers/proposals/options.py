"""Reading /propose: the one-line text form and the option values both forms share.

Text form: `title | choice | choice [| …] [method=…] [weight=…] [hours=…] [quorum=…]
[threshold=…] [hidden=yes] [profile=…]`. Options are `key=value` words at the end of the
last segment. Values are checked here so a refused proposal writes nothing.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from handlers.core.errors import BadArguments
from handlers.proposals.policy import Policy
from handlers.voting import methods
from handlers.voting.ballots import validate_choices

USAGE = (
    f"/propose <title> | <choice> | <choice> [| …] [method={'|'.join(methods.NAMES)}] "
    "[weight=member] [hours=72] [quorum=20%] [threshold=66%] [hidden=yes] "
    "[profile=name] [seats=N] [rule=…] [stv_rule=gregory|meek] [budget=B]"
)
OPTION_KEYS = ("method", "weight", "hours", "quorum", "threshold", "hidden", "profile")
METHOD_OPTION_KEYS = ("seats", "rule", "stv_rule", "budget")  # read by the method itself
MAX_TITLE = 200
MAX_BODY = 4000
_TRAILING_OPTION = re.compile(r"(?:^|\s)([A-Za-z_]+)=(\S*)\s*$")


def parse_propose_text(text: str) -> dict[str, Any]:
    """Split the text form into the named values `CommandSpec.bind` checks."""
    if not text.strip():
        raise BadArguments("Give a title and at least two choices.", usage=USAGE)
    segments = [s.strip() for s in text.split("|")]
    last = segments[-1]
    options: dict[str, Any] = {}
    while (match := _TRAILING_OPTION.search(last)) is not None:
        key = match.group(1).casefold()
        if key not in OPTION_KEYS + METHOD_OPTION_KEYS:
            known = ", ".join(OPTION_KEYS + METHOD_OPTION_KEYS)
            raise BadArguments(
                f"Unknown option {match.group(1)}=. Options: {known}.",
                usage=USAGE,
            )
        if key in options:
            raise BadArguments(f"Option {key}= given twice.", usage=USAGE)
        if not match.group(2):
            raise BadArguments(f"Option {key}= needs a value, like {key}=…", usage=USAGE)
        options[key] = match.group(2)
        last = last[: match.start()].rstrip()
    segments[-1] = last
    if len(segments) > 1 and not segments[-1]:
        segments.pop()
    title, choices = segments[0], segments[1:]
    return {"title": title, "choices": " | ".join(choices) if choices else None, **options}


@dataclass(frozen=True, slots=True)
class ProposalDraft:
    title: str
    choices: tuple[str, ...]
    method: str
    weight: str
    hours: float
    quorum: str | None
    threshold: float | None
    hidden: bool
    profile: str | None
    body: str
    options: dict[str, Any] = field(default_factory=dict)


def _number(name: str, raw: str, *, percent_ok: bool) -> tuple[float, bool]:
    text = raw.strip()
    is_percent = text.endswith("%")
    if is_percent and not percent_ok:
        raise BadArguments(f'{name}= takes a number, not "{text}".', usage=USAGE)
    try:
        value = float(text.rstrip("%"))
    except ValueError:
        raise BadArguments(f'{name}= must be a number, not "{text[:40]}".', usage=USAGE) from None
    if not math.isfinite(value) or value < 0:
        raise BadArguments(f"{name}= must be a positive number, not {text[:40]}.", usage=USAGE)
    return value, is_percent


def parse_quorum(raw: str) -> str:
    value, percent = _number("quorum", raw, percent_ok=True)
    if percent and value > 100:
        raise BadArguments("quorum= can be at most 100%.", usage=USAGE)
    return f"{value:g}%" if percent else f"{value:g}"


def parse_threshold(raw: str | float) -> float:
    value, percent = _number("threshold", str(raw), percent_ok=True)
    fraction = value / 100 if percent or value > 1 else value
    if not 0 < fraction <= 1:
        raise BadArguments("threshold= must be above 0% and at most 100%.", usage=USAGE)
    return fraction


def parse_flag(name: str, raw: str) -> bool:
    text = raw.strip().casefold()
    if text in ("yes", "true", "on", "1", "y"):
        return True
    if text in ("no", "false", "off", "0", "n"):
        return False
    raise BadArguments(f'{name}= takes yes or no, not "{raw[:40]}".', usage=USAGE)


def build_draft(values: dict[str, Any], policy: Policy) -> ProposalDraft:
    """Apply the profile, then explicit options, then the community defaults; check all."""
    title = (values.get("title") or "").strip()
    if not title:
        raise BadArguments("The proposal needs a title.", usage=USAGE)
    if len(title) > MAX_TITLE:
        raise BadArguments(
            f"The title is {len(title)} characters; the limit is {MAX_TITLE}.", usage=USAGE
        )
    body = (values.get("body") or "").strip()
    if len(body) > MAX_BODY:
        raise BadArguments(
            f"The body is {len(body):,} characters; the limit is {MAX_BODY:,}.", usage=USAGE
        )
    profile_name = values.get("profile")
    preset: dict[str, Any] = {}
    if profile_name:
        profiles = policy.proposals.profiles
        profile = profiles.get(profile_name.casefold())
        if profile is None:
            known = ", ".join(sorted(profiles)) or "none defined"
            raise BadArguments(
                f'Unknown profile "{profile_name[:40]}". Profiles: {known}.', usage=USAGE
            )
        preset = profile.model_dump(exclude_none=True)
    method = str(values.get("method") or preset.get("method") or policy.voting.default_method)
    method = method.casefold()
    voting = methods.METHODS.get(method)
    if voting is None:
        raise BadArguments(
            f'Unknown method "{method[:40]}". Methods: {", ".join(methods.NAMES)}.', usage=USAGE
        )
    raw_choices = values.get("choices")
    if voting.fixed_choices is not None:
        if raw_choices:
            raise BadArguments(
                f"method={method} always votes {' or '.join(voting.fixed_choices[:-1])} or "
                f"{voting.fixed_choices[-1]}: leave the choices out.",
                usage=f"/propose <title> method={method}",
            )
        choices = list(voting.fixed_choices)
    else:
        parts = [c.strip() for c in str(raw_choices or "").split("|")] if raw_choices else []
        try:
            choices = validate_choices(parts, max_choices=methods.MAX_ELECTION_CHOICES)
        except BadArguments as error:
            raise BadArguments(error.message, usage=error.usage or USAGE) from None
    raw_options = {
        key: str(values[key]) for key in METHOD_OPTION_KEYS if values.get(key) not in (None, "")
    }
    try:
        choices, method_options = voting.read_options(raw_options, choices)
        choices = validate_choices(choices, max_choices=voting.max_choices(method_options))
    except ValueError as error:
        raise BadArguments(str(error), usage=USAGE) from None
    except BadArguments as error:
        raise BadArguments(error.message, usage=error.usage or USAGE) from None
    hours_raw = values.get("hours")
    if hours_raw is not None:
        hours, _ = _number("hours", str(hours_raw), percent_ok=False)
    else:
        hours = float(preset.get("hours") or policy.voting.default_hours)
    if not policy.voting.min_hours <= hours <= policy.voting.max_hours:
        raise BadArguments(
            f"hours= must be between {policy.voting.min_hours:g} and {policy.voting.max_hours:g}.",
            usage=USAGE,
        )
    quorum_raw = values.get("quorum") or preset.get("quorum")
    threshold_raw = values.get("threshold") or preset.get("threshold")
    if values.get("threshold") and voting.decides_winners(method_options):
        raise BadArguments(
            f"threshold= does not apply to method={method}: it elects its winners itself.",
            usage=USAGE,
        )
    if voting.decides_winners(method_options):
        threshold_raw = None
    hidden_raw = values.get("hidden")
    hidden = (
        parse_flag("hidden", str(hidden_raw))
        if hidden_raw is not None
        else bool(preset.get("hidden", False))
    )
    return ProposalDraft(
        title=title,
        choices=tuple(choices),
        method=method,
        weight=str(values.get("weight") or preset.get("weight") or policy.voting.default_weight),
        hours=hours,
        quorum=parse_quorum(str(quorum_raw)) if quorum_raw else None,
        threshold=parse_threshold(threshold_raw) if threshold_raw else None,
        hidden=hidden,
        profile=profile_name.casefold() if profile_name else None,
        body=body,
        options=method_options,
    )
