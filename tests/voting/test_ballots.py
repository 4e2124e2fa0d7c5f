"""Ballot text → selection → storage/receipt, and proposal choice validation."""

from __future__ import annotations

import json

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from handlers.core.errors import BadArguments, BadBallot
from handlers.voting import methods
from handlers.voting.ballots import (
    BASIC_CHOICES,
    METHODS,
    Selection,
    ballot_usage,
    decode_selection,
    encode_selection,
    format_selection,
    from_snapshot_choice,
    parse_ballot,
    to_snapshot_choice,
    validate_choices,
    validate_selection,
)
from handlers.voting.methods.shapes import ChoiceSet, Ranking

YES_NO = ["yes", "no"]
ABC = ["a", "b", "c"]
# Emoji, a ZWJ family sequence, right-to-left Hebrew and Arabic, a zero-width space.
ODD = ["🍕", "👨\u200d👩\u200d👧", "שלום", "مرحبا", "a\u200bb"]


def choices_for(method: str, choices: list[str]) -> list[str]:
    return list(BASIC_CHOICES) if method == "basic" else choices


# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("method", "choices", "text", "expected"),
    [
        ("single", YES_NO, "yes", (0,)),
        ("single", YES_NO, "  NO ", (1,)),
        ("single", YES_NO, "1", (0,)),
        ("single", YES_NO, "2", (1,)),
        ("single", YES_NO, "yes,", (0,)),
        ("single", YES_NO, '"no"', (1,)),
        ("basic", list(BASIC_CHOICES), "for", (0,)),
        ("basic", list(BASIC_CHOICES), "Yes", (0,)),
        ("basic", list(BASIC_CHOICES), "y", (0,)),
        ("basic", list(BASIC_CHOICES), "1", (0,)),
        ("basic", list(BASIC_CHOICES), "against", (1,)),
        ("basic", list(BASIC_CHOICES), "no", (1,)),
        ("basic", list(BASIC_CHOICES), "N", (1,)),
        ("basic", list(BASIC_CHOICES), "2", (1,)),
        ("basic", list(BASIC_CHOICES), "abstain", (2,)),
        ("basic", list(BASIC_CHOICES), "3", (2,)),
        ("approval", ABC, "a, c", (0, 2)),
        ("approval", ABC, "c,a", (0, 2)),
        ("approval", ABC, "3, 1, B", (0, 1, 2)),
        ("ranked", ABC, "b > a > c", (1, 0, 2)),
        ("ranked", ABC, "c>a", (2, 0)),
        ("ranked", ABC, "2, 3", (1, 2)),
        ("ranked", ABC, "b", (1,)),
        ("weighted", YES_NO, "yes=70, no=30", {0: 70.0, 1: 30.0}),
        ("weighted", YES_NO, "no = 30 , yes = 70", {0: 70.0, 1: 30.0}),
        ("weighted", YES_NO, "2=25%", {1: 25.0}),
        ("quadratic", ABC, "a=0.5, c=1.5e1", {0: 0.5, 2: 15.0}),
    ],
)
def test_parse_forms(method: str, choices: list[str], text: str, expected: Selection) -> None:
    assert parse_ballot(method, choices, text) == expected


def test_weighted_selection_is_canonical_order() -> None:
    sel = parse_ballot("weighted", ABC, "c=1, a=2")
    assert isinstance(sel, dict)
    assert list(sel) == [0, 2]


def test_unknown_choice_message_is_exact() -> None:
    with pytest.raises(BadBallot) as info:
        parse_ballot("single", YES_NO, "maybe")
    assert info.value.message == 'Unknown choice "maybe". Choices: yes, no.'
    assert info.value.usage == ballot_usage("single")


@pytest.mark.parametrize(
    ("method", "choices", "text", "fragment"),
    [
        ("single", YES_NO, "", "Empty ballot"),
        ("single", YES_NO, "   ", "Empty ballot"),
        ("single", YES_NO, " , ", "Empty ballot"),
        ("approval", ABC, ",,", "Empty ballot"),
        ("ranked", ABC, " > ", "Empty ballot"),
        ("weighted", ABC, "", "Empty ballot"),
        ("single", YES_NO, "yes, no", "one choice"),
        ("single", YES_NO, "yes > no", "one choice"),
        ("basic", list(BASIC_CHOICES), "for, against", "one choice"),
        ("basic", list(BASIC_CHOICES), "maybe", 'Unknown choice "maybe"'),
        ("single", YES_NO, "3", "no choice number 3"),
        ("single", YES_NO, "0", "no choice number 0"),
        ("single", YES_NO, "9" * 1500, "no choice number"),
        ("single", YES_NO, "a" * 5000, "too long"),
        ("ranked", ABC, "a > b > a", '"a" is ranked twice'),
        ("ranked", ABC, "a > 1", '"a" is ranked twice'),
        ("approval", ABC, "a, A", '"a" is approved twice'),
        ("weighted", ABC, "a=1, a=2", "twice"),
        ("weighted", ABC, "a=0", "positive number"),
        ("weighted", ABC, "a=-1", "positive number"),
        ("weighted", ABC, "a=abc", "positive number"),
        ("weighted", ABC, "a=nan", "positive number"),
        ("weighted", ABC, "a=inf", "positive number"),
        ("weighted", ABC, "a=1e999", "positive number"),
        ("weighted", ABC, "a=", "positive number"),
        ("quadratic", ABC, "a=1_000", "positive number"),
        ("weighted", ABC, "a, b", "Give each choice a share"),
        ("quadratic", ABC, "a=2, b", "Give each choice a share"),
        ("weighted", ABC, "d=5", 'Unknown choice "d"'),
    ],
)
def test_parse_refusals(method: str, choices: list[str], text: str, fragment: str) -> None:
    with pytest.raises(BadBallot) as info:
        parse_ballot(method, choices, text)
    assert fragment.casefold() in info.value.message.casefold()
    assert "\n" not in info.value.message
    assert info.value.usage == ballot_usage(method)


def test_unknown_method_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        parse_ballot("borda", ABC, "a")


def test_usage_forms() -> None:
    assert ballot_usage("weighted") == "/vote <id> a=70, b=30"
    assert ballot_usage("ranked") == "/vote <id> b > a > c"
    assert ballot_usage("approval") == "/vote <id> a, c"
    assert all(ballot_usage(m).startswith("/vote <id> ") for m in METHODS)


# --------------------------------------------------------------------------- odd unicode


@pytest.mark.parametrize("index", range(len(ODD)))
def test_odd_unicode_names_parse_exactly(index: int) -> None:
    assert validate_choices(ODD) == ODD
    assert parse_ballot("single", ODD, ODD[index]) == (index,)
    assert parse_ballot("single", ODD, f"  {ODD[index]}\t") == (index,)


def test_odd_unicode_in_multi_choice_ballots() -> None:
    assert parse_ballot("ranked", ODD, "שלום > 🍕 > a\u200bb") == (2, 0, 4)
    assert parse_ballot("approval", ODD, "مرحبا, 👨\u200d👩\u200d👧") == (1, 3)
    assert parse_ballot("weighted", ODD, "🍕=70, שלום=30") == {0: 70.0, 2: 30.0}


def test_invisible_characters_are_forgiven_when_unambiguous() -> None:
    # A member cannot type the zero-width space; "ab" still means "a\u200bb".
    assert parse_ballot("single", ODD, "ab") == (4,)
    # A right-to-left mark pasted from an RTL client.
    assert parse_ballot("single", ODD, "\u200fשלום") == (2,)
    # Family emoji typed without the joiners.
    assert parse_ballot("single", ODD, "👨👩👧") == (1,)
    # Composed vs decomposed accents.
    assert parse_ballot("single", ["café", "thé"], "cafe\u0301") == (0,)


def test_exact_match_wins_over_forgiving_match() -> None:
    # Unvalidated legacy choices that only differ invisibly: exact text decides.
    choices = ["ab", "a\u200bb"]
    assert parse_ballot("single", choices, "ab") == (0,)
    assert parse_ballot("single", choices, "a\u200bb") == (1,)
    with pytest.raises(BadBallot, match="more than one"):
        parse_ballot("single", choices, "a\u200cb")


ANY_TEXT = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec=None, exclude_categories=())),
    st.lists(
        st.one_of(
            st.sampled_from(["a", "b", "c", "🍕", "שלום", "1", "2", "11", "=", ">", ",", "%"]),
            st.sampled_from([" ", "\u200b", "\u200f", "\ufe0f", "nan", "inf", "-", "1e999"]),
            st.text(max_size=3),
        ),
        max_size=12,
    ).map("".join),
)


@settings(max_examples=400, deadline=None)
@given(method=st.sampled_from(METHODS), text=ANY_TEXT)
def test_parse_raises_only_bad_ballot(method: str, text: str) -> None:
    choices = choices_for(method, ["a", "b", "c", "🍕", "שלום"])
    try:
        selection = parse_ballot(method, choices, text)
    except BadBallot as exc:
        assert exc.message and "\n" not in exc.message
        return
    # Whatever parses is a valid selection for these choices.
    validate_selection(method, selection, len(choices))


# --------------------------------------------------------------------------- round trips


@st.composite
def selections(draw: st.DrawFn, method: str | None = None, k: int = 10) -> tuple[str, Selection]:
    method = method or draw(st.sampled_from(METHODS))
    if method == "basic":
        return method, (draw(st.integers(0, 2)),)
    if method == "single":
        return method, (draw(st.integers(0, k - 1)),)
    picks = draw(st.lists(st.integers(0, k - 1), min_size=1, max_size=k, unique=True))
    shape = methods.get(method)
    if isinstance(shape, ChoiceSet):  # approval, budget
        return method, tuple(sorted(picks))
    if isinstance(shape, Ranking):  # ranked, stv, condorcet
        return method, tuple(picks)
    shares = st.floats(min_value=0, exclude_min=True, allow_infinity=False, allow_nan=False)
    return method, {i: draw(shares) for i in sorted(picks)}


@given(selections())
def test_encode_decode_round_trip(case: tuple[str, Selection]) -> None:
    method, selection = case
    data = encode_selection(method, selection)
    through_json = json.loads(json.dumps(data))
    decoded = decode_selection(method, through_json, 10)
    assert decoded == selection
    assert type(decoded) is type(selection)
    if isinstance(selection, dict):
        assert isinstance(decoded, dict)
        assert list(decoded.items()) == list(selection.items())


@given(selections())
def test_snapshot_choice_round_trip(case: tuple[str, Selection]) -> None:
    method, selection = case
    choice = to_snapshot_choice(method, selection)
    back = from_snapshot_choice(method, json.loads(json.dumps(choice)), 10)
    assert back == selection


def test_snapshot_choice_shapes() -> None:
    assert to_snapshot_choice("single", (1,)) == 2
    assert to_snapshot_choice("ranked", (2, 0)) == [3, 1]
    assert to_snapshot_choice("weighted", {0: 70.0, 2: 30.5}) == {"1": 70, "3": 30.5}


@pytest.mark.parametrize(
    ("method", "data"),
    [
        ("single", [0, 1]),
        ("single", []),
        ("single", [True]),
        ("single", [-1]),
        ("single", [10]),
        ("basic", [3]),
        ("approval", [2, 1]),
        ("approval", [1, 1]),
        ("ranked", [1, 1]),
        ("ranked", "1"),
        ("weighted", [[0, 0]]),
        ("weighted", [[0, -1.5]]),
        ("weighted", [[0, 1.0], [0, 2.0]]),
        ("weighted", [[0, 10**400]]),
        ("quadratic", [[0]]),
        ("quadratic", [["0", 1.0]]),
        ("quadratic", []),
    ],
)
def test_decode_refuses_malformed_data(method: str, data: object) -> None:
    with pytest.raises(BadBallot):
        decode_selection(method, data, 10)


def test_encode_refuses_malformed_selection() -> None:
    with pytest.raises(ValueError):
        encode_selection("approval", (2, 1))
    with pytest.raises(ValueError):
        encode_selection("weighted", {0: 0.0})


@settings(max_examples=200, deadline=None)
@given(
    names=st.lists(
        st.text(
            alphabet=st.characters(exclude_characters=",>=|", exclude_categories=("Cc", "Cs")),
            min_size=1,
            max_size=12,
        ),
        min_size=2,
        max_size=10,
        unique_by=lambda name: name.strip().casefold(),
    ),
    data=st.data(),
)
def test_receipt_text_parses_back(names: list[str], data: st.DataObject) -> None:
    """What a receipt shows for a ranked/approval/single ballot reads back as the same
    ballot, for any names /propose accepts."""
    try:
        choices = validate_choices(names)
    except BadArguments:
        assume(False)
        return
    method = data.draw(st.sampled_from(["single", "approval", "ranked"]))
    _, selection = data.draw(selections(method, len(choices)))
    text = format_selection(method, choices, selection)
    assert parse_ballot(method, choices, text) == selection


# --------------------------------------------------------------------------- rendering


def test_format_selection() -> None:
    assert format_selection("single", YES_NO, (1,)) == "no"
    assert format_selection("basic", list(BASIC_CHOICES), (2,)) == "abstain"
    assert format_selection("approval", ABC, (0, 2)) == "a, c"
    assert format_selection("ranked", ABC, (1, 0, 2)) == "b > a > c"
    assert format_selection("weighted", YES_NO, {0: 70.0, 1: 30.0}) == "yes=70%, no=30%"
    assert format_selection("quadratic", ABC, {0: 1.0, 1: 1.0, 2: 1.0}) == (
        "a=33.3%, b=33.3%, c=33.3%"
    )
    assert format_selection("weighted", YES_NO, {1: 3.0}) == "no=100%"


# --------------------------------------------------------------------------- choices


def test_validate_choices_strips_and_keeps_text() -> None:
    assert validate_choices(["  yes ", "no"]) == ["yes", "no"]
    assert validate_choices(ODD) == ODD
    assert validate_choices(["a" * 80, "b"]) == ["a" * 80, "b"]
    assert validate_choices([str(i) + "x" for i in range(10)])[9] == "9x"


@pytest.mark.parametrize(
    ("choices", "fragment"),
    [
        (["only"], "at least 2"),
        ([], "at least 2"),
        ([f"c{i}" for i in range(11)], "at most 10"),
        (["a", "  "], "Choice 2 is empty"),
        (["a", "b" * 81], "81 characters"),
        (["Yes", "yes"], "Choices 1 and 2 are the same"),
        (["ß", "SS"], "the same"),
        (["ab", "a\u200bb"], "the same"),
        (["café", "cafe\u0301"], "the same"),
        (["a, b", "c"], '","'),
        (["a > b", "c"], '">"'),
        (["a=b", "c"], '"="'),
        (["a|b", "c"], '"|"'),
        (["42", "c"], "only digits"),
        (["٤٢", "c"], "only digits"),
        (["a\nb", "c"], "line break"),
        (["\u200b", "c"], "no visible characters"),
    ],
)
def test_validate_choices_refusals(choices: list[str], fragment: str) -> None:
    with pytest.raises(BadArguments) as info:
        validate_choices(choices)
    assert fragment in info.value.message


def test_a_lone_choice_is_its_whole_share() -> None:
    """`/vote 5 no` on a weighted or quadratic proposal means all of the weight on "no"."""
    assert parse_ballot("weighted", ["yes", "no"], "no") == {1: 1.0}
    assert parse_ballot("quadratic", ["yes", "no"], " 1 ") == {0: 1.0}
