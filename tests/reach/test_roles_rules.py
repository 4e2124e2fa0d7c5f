"""The rule language: the parser accepts exactly what the ABNF accepts, refusals name the
position and the grammar rule, and a bad rule in the settings stops `govbot` with exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from abnf import ParseError
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.__main__ import main
from handlers.reach.roles.grammar import Rule, RuleSyntaxError, parse, show

ADDR = "0x" + "ab12" * 10
PIECES = [
    "linked", "reputation", "native", f"erc20:{ADDR}", f"erc721:{ADDR}", "council:Stewards",
    " and ", " or ", "not ", "(", ")", " >= ", ">", "<=", " == ", "25", "1.5", " ", "x", "0x12",
    "erc20:", "not", "and", ".",
]  # fmt: skip


def abnf_accepts(text: str) -> bool:
    try:
        Rule("rule").parse_all(text)
    except ParseError:
        return False
    return True


def parser_accepts(text: str) -> bool:
    try:
        parse(text)
    except RuleSyntaxError:
        return False
    return True


CORPUS = [
    f"linked and (erc20:{ADDR} >= 100 or reputation >= 25)",
    "reputation",
    "not linked",
    "not not linked",
    " linked ",
    f"erc721:{ADDR.upper().replace('0X', '0x')}",
    "native>0.5",
    "council:Stewards or council:tech-leads",
    "LINKED AND REPUTATION >= 3",
    "((linked))",
    "linked and",
    "reputation >=",
    "not(linked)",
    "linked or or linked",
    "(linked",
    "linked)",
    "erc20:0x12",
    "reputation >= 1.",
    "council:",
    "linked >= 1",
    "",
    "andlinked",
]


@pytest.mark.parametrize("text", CORPUS)
def test_the_parser_accepts_what_the_abnf_accepts(text: str) -> None:
    assert parser_accepts(text) == abnf_accepts(text), text


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=7).map("".join))
def test_the_parser_agrees_with_the_abnf_on_generated_rules(text: str) -> None:
    assert parser_accepts(text) == abnf_accepts(text), text


def test_the_tree_reads_back_as_the_rule() -> None:
    tree = parse(f"linked and (erc20:{ADDR} >= 100 or not reputation < 25)")
    assert show(tree) == f"linked and (erc20:{ADDR} >= 100 or not reputation < 25)"
    assert show(parse("reputation")) == "reputation"  # a bare measure stays bare (> 0)


@pytest.mark.parametrize(
    ("text", "position", "grammar_rule"),
    [
        ("linked and (reputation >= )", 27, "number"),
        ("reputation >= 10 linked", 18, "disjunction"),
        ("erc20:0x12 >= 1", 11, "address"),
        ("(linked or native", 18, "primary"),
        ("linked and holders", 12, "primary"),
    ],
)
def test_a_refusal_names_the_position_and_the_grammar_rule(
    text: str, position: int, grammar_rule: str
) -> None:
    with pytest.raises(RuleSyntaxError) as refused:
        parse(text)
    assert (refused.value.position, refused.value.grammar_rule) == (position, grammar_rule)
    assert f"position {position}" in str(refused.value)


def test_a_bad_rule_stops_start_up_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(
        '[[roles]]\nname = "holders"\nrule = "linked and (reputation >= )"\ndiscord_role_id = 42\n'
    )
    monkeypatch.setenv("GOVBOT_CONFIG", str(config))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/never.db")
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert 'role "holders"' in err and "position 27" in err and "a number" in err
    assert not (tmp_path / "never.db").exists()  # refused before anything was opened
