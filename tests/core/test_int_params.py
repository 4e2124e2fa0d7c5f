"""Whole-number parameters are bounded to the 32-bit columns they are looked up in."""

from __future__ import annotations

from bot.app import Core
from tests.conftest import is_refusal, run_command, texts


async def test_an_id_beyond_32_bits_is_refused_not_an_error(core: Core) -> None:
    for line in ("/cancel 2147483648", "/vote 99999999999 yes", "/proposal -2147483649"):
        replies = await run_command(core, "admin", line, admin=True)
        assert is_refusal(replies) and "too large" in texts(replies), texts(replies)
    replies = await run_command(core, "admin", "/cancel 2147483647", admin=True)
    assert is_refusal(replies) and "internal" not in str(replies[0].meta)
