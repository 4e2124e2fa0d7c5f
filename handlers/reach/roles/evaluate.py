"""Judge a rule on a member's facts, and say why: three-valued, explained.

`and`, `or` and `not` follow Kleene's logic over yes / no / unknown, so an unreadable
balance only matters where it could change the answer (`linked or erc20:… >= 1` holds
for a linked member even when the chain is down). Only a definite answer moves a role.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.reach.roles.facts import Facts
from handlers.reach.roles.grammar import All, Any_, Atom, Compare, Flag, Node, Not, atoms

_OPS = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
}
_SHOWN = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "="}


@dataclass(frozen=True, slots=True)
class Verdict:
    holds: bool | None  # None: unknown (a value could not be read)
    reasons: tuple[str, ...]  # one line per atom: your value against the threshold

    @property
    def word(self) -> str:
        return {True: "yes", False: "no", None: "unknown"}[self.holds]


def judge(node: Node, facts: Facts) -> bool | None:
    match node:
        case Compare(atom=a, op=op, value=v):
            value = facts.values.get(a)
            return None if value is None else bool(_OPS[op](value, v))
        case Flag(atom=a):
            value = facts.values.get(a)
            return None if value is None else value > 0
        case Not(inner=i):
            inner = judge(i, facts)
            return None if inner is None else not inner
        case All(parts=ps):
            found = [judge(p, facts) for p in ps]
            if False in found:
                return False
            return None if None in found else True
        case Any_(parts=ps):
            found = [judge(p, facts) for p in ps]
            if True in found:
                return True
            return None if None in found else False
    raise TypeError(node)


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"


def _label(atom: Atom) -> str:
    if atom.kind in ("erc20", "erc721") and atom.arg:
        return f"{atom.kind}:{atom.arg[:6]}…{atom.arg[-4:]}"
    return atom.text


def _comparisons(node: Node) -> list[Compare | Flag]:
    match node:
        case Compare() | Flag():
            return [node]
        case Not(inner=i):
            return _comparisons(i)
        case All(parts=ps) | Any_(parts=ps):
            return [c for p in ps for c in _comparisons(p)]
    raise TypeError(node)


def explain(node: Node, facts: Facts) -> Verdict:
    lines: list[str] = []
    for part in _comparisons(node):
        atom = part.atom
        value = facts.values.get(atom)
        why = facts.why.get(atom)
        if value is None:
            lines.append(f"{_label(atom)}: unknown ({why or 'not readable'})")
            continue
        if isinstance(part, Flag):
            if atom.kind == "linked":
                text = f"wallet linked: {'yes' if value else 'no'}"
            else:
                text = f"seat on council {atom.arg}: {'yes' if value else 'no'}"
            lines.append(text + (f" ({why})" if why and not value else ""))
            continue
        met = _OPS[part.op](value, part.value)
        mark = "✓" if met else "✗"
        wanted = "> 0" if part.bare else f"{_SHOWN[part.op]} {_fmt(part.value)}"
        extra = f" ({why})" if why else ""
        lines.append(f"{_label(atom)}: {_fmt(value)}{extra}, needs {wanted} {mark}")
    unique = tuple(dict.fromkeys(lines))
    return Verdict(judge(node, facts), unique)


__all__ = ["Verdict", "atoms", "explain", "judge"]
