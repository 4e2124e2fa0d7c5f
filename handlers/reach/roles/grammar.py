"""The role rule language: its ABNF, and the parser that turns a rule into a tree.

    linked and (erc20:0xabc… >= 100 or reputation >= 25)

The grammar below is the definition (`Rule`, loaded by the `abnf` package, is the
reference the tests hold the parser to). The parser is hand-written recursive descent
over the same rules so that a refusal can say *where* and *what* was expected: the
furthest position it reached (1-based) and the grammar rule it was in, which an ABNF
matcher cannot tell. Keywords and hex digits are case-insensitive, as ABNF strings are.
Keywords need whitespace around them (`not(x)` is refused; write `not (x)`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from abnf import Rule as _Rule
from abnf.grammars import rfc5234
from abnf.grammars.misc import load_grammar_rules

MAX_LENGTH = 500

ABNF = [
    "rule = ows disjunction ows",
    'disjunction = conjunction *( ws "or" ws conjunction )',
    'conjunction = negation *( ws "and" ws negation )',
    'negation = "not" ws negation / primary',
    'primary = "(" ows disjunction ows ")" / comparison / flag',
    "comparison = measure [ ows op ows number ]",
    'measure = "reputation" / "native" / "erc20:" address / "erc721:" address',
    'flag = "linked" / "council:" name',
    'op = ">=" / "<=" / "==" / ">" / "<"',
    'number = 1*DIGIT [ "." 1*DIGIT ]',
    'address = "0x" 40HEXDIG',
    'name = 1*( ALPHA / DIGIT / "-" / "_" / "." )',
    "ws = 1*( SP / HTAB )",
    "ows = *( SP / HTAB )",
]


@load_grammar_rules(
    [(name, rfc5234.Rule(name)) for name in ("ALPHA", "DIGIT", "HEXDIG", "SP", "HTAB")]
)
class Rule(_Rule):
    """The ABNF above, as the `abnf` package parses it (the reference for the tests)."""

    grammar: ClassVar[list[str] | str] = ABNF


# ----- the tree ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Atom:
    """`reputation`, `native`, `erc20:<addr>`, `erc721:<addr>`, `linked`, `council:<name>`."""

    kind: str  # reputation | native | erc20 | erc721 | linked | council
    arg: str | None = None

    @property
    def text(self) -> str:
        return self.kind if self.arg is None else f"{self.kind}:{self.arg}"

    @property
    def is_flag(self) -> bool:
        return self.kind in ("linked", "council")


@dataclass(frozen=True, slots=True)
class Compare:
    """A measure against a threshold; a bare measure is `> 0`."""

    atom: Atom
    op: str
    value: float
    bare: bool = False


@dataclass(frozen=True, slots=True)
class Flag:
    atom: Atom


@dataclass(frozen=True, slots=True)
class Not:
    inner: Node


@dataclass(frozen=True, slots=True)
class All:
    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Any_:
    parts: tuple[Node, ...]


Node = Compare | Flag | Not | All | Any_


class RuleSyntaxError(ValueError):
    """A rule that does not parse: where (1-based) and what the grammar expected there."""

    def __init__(self, text: str, position: int, grammar_rule: str, expected: str) -> None:
        self.text, self.position, self.grammar_rule = text, position, grammar_rule
        self.expected = expected
        found = text[position - 1 : position + 9] if position <= len(text) else ""
        at = f'"{found}"' if found else "the end"
        super().__init__(f"position {position}: expected {expected} ({grammar_rule}), found {at}")


def atoms(node: Node) -> list[Atom]:
    """Every atom in the rule, first occurrence order, each once."""
    seen: list[Atom] = []

    def walk(n: Node) -> None:
        match n:
            case Compare(atom=a) | Flag(atom=a):
                if a not in seen:
                    seen.append(a)
            case Not(inner=i):
                walk(i)
            case All(parts=ps) | Any_(parts=ps):
                for p in ps:
                    walk(p)

    walk(node)
    return seen


# ----- the parser -----------------------------------------------------------------------
_MEASURES = ("reputation", "native")
_TOKENS = ("erc20:", "erc721:")
_OPS = (">=", "<=", "==", ">", "<")
_HEX = frozenset("0123456789abcdefABCDEF")
_NAME = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
_DIGITS = frozenset("0123456789")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        # the furthest failure: (index, grammar rule, what was expected there)
        self.far: tuple[int, str, str] = (-1, "rule", "a rule")

    # helpers
    def expect(self, rule: str, what: str, at: int | None = None) -> None:
        at = self.i if at is None else at
        if at > self.far[0]:
            self.far = (at, rule, what)
        elif at == self.far[0] and what not in self.far[2]:
            # several rules could go on here: name them all, the last one tried last
            self.far = (at, rule, f"{self.far[2]} or {what}")

    def fail(self) -> RuleSyntaxError:
        at, rule, what = self.far
        return RuleSyntaxError(self.text, at + 1, rule, what)

    def ws(self) -> int:
        start = self.i
        while self.i < len(self.text) and self.text[self.i] in " \t":
            self.i += 1
        return self.i - start

    def word(self, word: str) -> bool:
        if self.text[self.i : self.i + len(word)].lower() == word:
            self.i += len(word)
            return True
        return False

    def keyword_after_ws(self, word: str, rule: str) -> bool:
        """`ws word ws`, restoring the position if it is not all there."""
        start = self.i
        if self.ws() and self.word(word):
            if self.ws():
                return True
            self.expect(rule, f'a space after "{word}"')
        self.i = start
        return False

    # rules
    def rule(self) -> Node:
        self.ws()
        node = self.disjunction()
        self.ws()
        if self.i != len(self.text):
            self.expect("disjunction", '"and", "or" or the end of the rule')
            raise self.fail()
        return node

    def disjunction(self) -> Node:
        parts = [self.conjunction()]
        while self.keyword_after_ws("or", "disjunction"):
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else Any_(tuple(parts))

    def conjunction(self) -> Node:
        parts = [self.negation()]
        while self.keyword_after_ws("and", "conjunction"):
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else All(tuple(parts))

    def negation(self) -> Node:
        start = self.i
        if self.word("not"):
            if self.ws():
                return Not(self.negation())
            self.expect("negation", 'a space after "not"')
            self.i = start
        return self.primary()

    def primary(self) -> Node:
        if self.text.startswith("(", self.i):
            self.i += 1
            self.ws()
            node = self.disjunction()
            self.ws()
            if not self.text.startswith(")", self.i):
                self.expect("primary", '")"')
                raise self.fail()
            self.i += 1
            return node
        start = self.i
        for flag in ("linked", "council:"):
            if self.word(flag):
                if flag == "linked":
                    return Flag(Atom("linked"))
                return Flag(Atom("council", self.name()))
        for measure in _MEASURES + _TOKENS:
            if self.word(measure):
                kind = measure.rstrip(":")
                arg = self.address() if measure in _TOKENS else None
                return self.comparison(Atom(kind, arg))
        self.i = start
        self.expect(
            "primary",
            'reputation, native, erc20:<address>, erc721:<address>, linked, council:<name> or "("',
        )
        raise self.fail()

    def comparison(self, atom: Atom) -> Compare:
        start = self.i
        self.ws()
        for op in _OPS:
            if self.text.startswith(op, self.i):
                self.i += len(op)
                self.ws()
                return Compare(atom, op, self.number())
        self.expect("comparison", "a comparison (>=, >, <=, <, ==)")
        self.i = start
        return Compare(atom, ">", 0.0, bare=True)

    def number(self) -> float:
        start = self.i
        while self.i < len(self.text) and self.text[self.i] in _DIGITS:
            self.i += 1
        if self.i == start:
            self.expect("number", "a number")
            raise self.fail()
        if self.text.startswith(".", self.i):
            self.i += 1
            frac = self.i
            while self.i < len(self.text) and self.text[self.i] in _DIGITS:
                self.i += 1
            if self.i == frac:
                self.expect("number", "a digit after the decimal point")
                raise self.fail()
        return float(self.text[start : self.i])

    def address(self) -> str:
        start = self.i
        if not self.word("0x"):
            self.expect("address", "a 0x address")
            raise self.fail()
        count = 0
        while self.i < len(self.text) and self.text[self.i] in _HEX and count < 40:
            self.i += 1
            count += 1
        if count < 40:
            self.expect("address", "40 hex digits after 0x")
            raise self.fail()
        return "0x" + self.text[start + 2 : self.i].lower()

    def name(self) -> str:
        start = self.i
        while self.i < len(self.text) and self.text[self.i] in _NAME:
            self.i += 1
        if self.i == start:
            self.expect("name", "a council name")
            raise self.fail()
        return self.text[start : self.i]


def parse(text: str) -> Node:
    """The rule's tree, or RuleSyntaxError naming the position and the grammar rule."""
    if len(text) > MAX_LENGTH:
        raise RuleSyntaxError(text, MAX_LENGTH + 1, "rule", f"at most {MAX_LENGTH} characters")
    return _Parser(text).rule()


def show(node: Node) -> str:
    """The rule written back (normalised), for /roles."""
    match node:
        case Compare(atom=a, bare=True):
            return a.text
        case Compare(atom=a, op=op, value=v):
            return f"{a.text} {op} {v:g}"
        case Flag(atom=a):
            return a.text
        case Not(inner=i):
            return f"not {_wrapped(i)}"
        case All(parts=ps):
            return " and ".join(_wrapped(p) for p in ps)
        case Any_(parts=ps):
            return " or ".join(_wrapped(p) for p in ps)
    raise TypeError(node)


def _wrapped(node: Node) -> str:
    return f"({show(node)})" if isinstance(node, All | Any_) else show(node)
