"""The reply markup per platform and message splitting (handlers/core/markup.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from handlers.core.markup import block, bold, clean, code, split_text, to_discord, to_html, to_plain

# --------------------------------------------------------------------------- markup


def test_clean_strips_markers_and_controls_but_keeps_text() -> None:
    sneaky = f"{bold('x')}{code('y')}{block('z')}\x00\x07\x1b\x7f"
    assert clean(sneaky) == "xyz"
    keep = "line one\nline two\ttab — 🚀 שלום\u200f a\u200db zero\u200bwidth 👨‍👩‍👧"
    assert clean(keep) == keep


def test_user_text_cannot_inject_markup() -> None:
    # user text is cleaned at the door, so its markers never reach a renderer
    typed = "\x02not bold\x03"
    assert to_html(clean(typed)) == "not bold"
    assert to_plain(clean(typed)) == "not bold"


def test_to_html_escapes_user_text_and_renders_markers() -> None:
    assert to_html("<b>hi</b> & <script>") == "&lt;b&gt;hi&lt;/b&gt; &amp; &lt;script&gt;"
    assert to_html(bold("a<b") + " & " + code("x&y")) == "<b>a&lt;b</b> &amp; <code>x&amp;y</code>"
    assert to_html(block("if a < b:\n  pass")) == "<pre>if a &lt; b:\n  pass</pre>"
    assert to_html("@everyone 🚀") == "@everyone 🚀"  # no markup meaning on Telegram


def test_to_discord_escapes_markdown_and_mentions() -> None:
    rendered = to_discord("**not bold** @everyone <@123> ~~x~~ `tick` # head")
    assert "**not bold**" not in rendered
    assert rendered.count("\\*") == 4
    assert "\\@everyone" in rendered and "@everyone" not in rendered.replace("\\@", "")
    assert "\\<\\@123\\>" in rendered
    assert "\\~\\~x\\~\\~" in rendered and "\\`tick\\`" in rendered and "\\# head" in rendered
    assert to_discord(bold("Result")) == "**Result**"
    assert to_discord(bold("a*b")) == "**a\\*b**"


def test_to_discord_keeps_web_addresses_clickable() -> None:
    # Discord links a bare address itself; an escaped `https\\://` would not be a link
    link = "https://bot.example.org/sign?nonce=a_b-c&p=1"
    rendered = to_discord(f"Sign at {link} **now** @here")
    assert link in rendered
    assert "\\*\\*now\\*\\*" in rendered and "\\@here" in rendered
    # the text around an address is still escaped, and brackets end it
    assert to_discord("<http://x.org/a>") == "\\<http://x.org/a\\>"
    assert to_discord("[click](http://evil.org)") == "\\[click\\]\\(http://evil.org\\)"


def test_to_discord_code_is_literal() -> None:
    # Discord shows code spans and blocks verbatim: escapes there would show as backslashes
    assert to_discord(code("/vote 1 a > b-c")) == "`/vote 1 a > b-c`"
    assert to_discord("see " + code("x_y") + " *") == "see `x_y` \\*"
    assert to_discord(block("a > b\n**c**")) == "```\na > b\n**c**\n```"
    # user text cannot close the code span or block early
    assert to_discord(code("a`b")).count("`") == 2
    assert to_discord(block("x ``` y")).count("```") == 2


def test_to_plain_drops_markers_and_fences_blocks() -> None:
    assert to_plain(bold("Result") + ": " + code("abc")) == "Result: abc"
    assert to_plain("Message:" + block("line")) == "Message:\n```\nline\n```"


# --------------------------------------------------------------------------- split_text


def test_split_text_limits() -> None:
    assert split_text("", 10) == [""]
    assert split_text("short", 10) == ["short"]
    assert split_text("x" * 10, 10) == ["x" * 10]
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]
    assert split_text("aaaa\nbbbb\ncccc", 10) == ["aaaa\nbbbb", "cccc"]
    assert split_text("🚀" * 5, 2) == ["🚀🚀", "🚀🚀", "🚀"]


@given(st.text(alphabet=st.sampled_from("ab \n🚀"), max_size=300), st.integers(1, 50))
def test_split_text_properties(text: str, limit: int) -> None:
    chunks = split_text(text, limit)
    assert chunks and all(len(chunk) <= limit for chunk in chunks)
    # only line breaks at the cuts may be dropped; nothing else is lost or reordered
    assert "".join(chunks).replace("\n", "") == text.replace("\n", "")
    if "\n" not in text:
        assert "".join(chunks) == text
