"""The `gov:` button codec (handlers/core/codec.py): round trips, the 64-byte limit,
foreign ids refused with a domain error only."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.core import codec
from handlers.core.errors import BadArguments


def test_codec_round_trip() -> None:
    data = codec.encode("vote", ("12", "3"))
    assert data == "gov:vote:12:3"
    assert codec.decode(data) == ("vote", ("12", "3"))
    assert codec.decode(codec.encode("arena")) == ("arena", ())


def test_codec_64_byte_limit() -> None:
    fits = codec.encode("v", ("x" * (64 - len("gov:v:")),))
    assert len(fits.encode()) == 64
    assert codec.decode(fits)[1] == ("x" * 58,)
    with pytest.raises(ValueError, match="64 bytes"):
        codec.encode("v", ("x" * 59,))
    with pytest.raises(ValueError, match="64 bytes"):
        codec.encode("v", ("é" * 30,))  # bytes, not characters, count
    with pytest.raises(BadArguments):
        codec.decode("gov:v:" + "x" * 59)
    with pytest.raises(ValueError):
        codec.encode("vote", ("1:2",))


@pytest.mark.parametrize("data", ["", "gov", "gov:", "xyz:vote:1", "vote:1", "GOV:vote"])
def test_codec_refuses_foreign_ids(data: str) -> None:
    with pytest.raises(BadArguments):
        codec.decode(data)


_part = st.text(alphabet=st.characters(blacklist_characters=":"), max_size=20)


@given(_part, st.lists(_part, max_size=5))
def test_codec_encode_refuses_or_round_trips(action: str, args: list[str]) -> None:
    try:
        data = codec.encode(action, tuple(args))
    except ValueError:
        return
    assert len(data.encode()) <= 64
    assert codec.decode(data) == (action, tuple(args))


@given(st.text(max_size=100))
def test_codec_decode_raises_only_domain_errors(data: str) -> None:
    try:
        action, args = codec.decode(data)
    except BadArguments:
        return
    assert action and isinstance(args, tuple)
