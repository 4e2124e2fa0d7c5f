"""`govbot run` in a real subprocess, driven through a pipe, as a new user would.

Asserts the console's transcript format (README, "The console chat"): numbered
messages `[#N] name: text`, private replies `[#N] govbot → name (private): text`,
buttons `  [1] …  [2] …`, images `  image: <path>`; one input line handled completely
before the next; a clean exit at end of input; and `govbot audit verify` passing on
the database it leaves behind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.harness.process import BotProcess, bot_env, run_bot

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MESSAGE = re.compile(r"^\[#(\d+)\] (.+?): (.*)$")
PRIVATE = re.compile(r"^govbot → (\S+) \(private\)$")


@dataclass
class Message:
    number: int
    author: str
    lines: list[str]
    buttons: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def parse(transcript: str) -> tuple[list[Message], list[str]]:
    """Messages in order, plus the notes printed before the first message."""
    messages: list[Message] = []
    preamble: list[str] = []
    for line in transcript.splitlines():
        match = MESSAGE.match(line)
        if match:
            messages.append(Message(int(match[1]), match[2], [match[3]]))
            continue
        target = messages[-1] if messages else None
        if target is None:
            preamble.append(line)
        elif re.fullmatch(r"  (\[\d+\] .+?)(  \[\d+\] .+?)*", line) and line.startswith("  [1] "):
            target.buttons = re.findall(r"\[\d+\] (.+?)(?=  \[\d+\] |$)", line.strip())
        elif line.startswith("  image: "):
            target.images.append(line.removeprefix("  image: "))
        elif re.match(r"  (you are now|\S+ (reacted|removed) )", line):
            target.notes.append(line.strip())
        else:
            target.lines.append(line)
    return messages, preamble


def _env(tmp_path: Path) -> dict[str, str]:
    # proposals and votes are under test here; wallet linking has its own tests
    return bot_env(f"sqlite:///{tmp_path}/console.db", tmp_path)


# (input line, expected start of the first reply or None for a console-local note)
SCRIPT: list[tuple[str, str | None]] = [
    ("/propose Lunch | pizza | sushi hours=1", "govbot: #1 Lunch · open"),  # card #2
    ("/as bob", None),
    ("/press 2 1", "govbot → bob (private): Vote recorded on #1: pizza"),
    ("/as carol", None),
    ("/press 2 sushi", "govbot → carol (private): Vote recorded on #1: sushi"),
    ("/vote 1 maybe", 'govbot: Unknown choice "maybe". Choices: pizza, sushi.'),
    (
        "/reply 2 /vote 1 pizza",
        "govbot → carol (private): Vote recorded on #1: pizza (weight 1: member 1). It "
        "replaces your earlier ballot.",
    ),
    ("/as alice", None),
    ("/propose Budget | infra | docs method=weighted", "govbot: #2 Budget · open"),
    ("/propose Logo | circle | square | star method=ranked", "govbot: #3 Logo · open"),
    ("/propose Snacks | chips | fruit | nuts method=approval", "govbot: #4 Snacks · open"),
    ("/propose Quad | a | b method=quadratic", "govbot: #5 Quad · open"),
    ("/propose Adopt the charter method=basic", "govbot: #6 Adopt the charter · open"),
    ("/as dave", None),
    ("/vote 2 infra=70, docs=30", "govbot → dave (private): Vote recorded on #2: infra=70%"),
    ("/vote 3 star > circle", "govbot → dave (private): Vote recorded on #3: star > circle"),
    ("/vote 4 chips, nuts", "govbot → dave (private): Vote recorded on #4: chips, nuts"),
    ("/vote 5 a=100", "govbot → dave (private): Vote recorded on #5: a=100%"),
    ("/press 23 abstain", "govbot → dave (private): Vote recorded on #6: abstain"),
    ("/as erin", None),
    ("/vote 3 square > star", "govbot → erin (private): Vote recorded on #3"),
    ("/vote 3 star > star", 'govbot: "star" is ranked twice.'),
    ("/vote 6 for", "govbot → erin (private): Vote recorded on #6: for"),
    ("/as frank", None),
    ("/vote 3 star", "govbot → frank (private): Vote recorded on #3: star"),
    ("/close 1", "govbot: Only the author of #1 or an admin can close it."),
    ("/propose Too few | a", "govbot: A proposal needs at least 2 choices; got 1."),
    ("/frobnicate", "govbot: Unknown command /frobnicate. Try /help."),
    ("/press 2 9", 'govbot: No button "9" on #2. Buttons: 1 pizza, 2 sushi.'),
    ("/as alice", None),
    ("/close 1", "govbot: #1 Lunch · closed"),
    ("/close 2", "govbot: #2 Budget · closed"),
    ("/close 3", "govbot: #3 Logo · closed"),
    ("/close 4", "govbot: #4 Snacks · closed"),
    ("/close 5", "govbot: #5 Quad · closed"),
    ("/close 6", "govbot: #6 Adopt the charter · closed"),
    ("/as bob", None),
    ("/press 2 2", "govbot: Proposal #1 is already closed."),
    ("/as", "govbot: Give one member name"),
    ("/proposals", "govbot: No open proposals."),
    ("/help vote", "govbot: /vote: vote on a proposal"),
    # console-local and listener paths last: they number no message we refer to above
    ("hello @everyone <b>hi</b>", None),
    ("/react 2 👍", None),
    ("/unreact 2 👍", None),
    ("/help", "govbot: govbot commands"),
]


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> tuple[BotProcess, Path]:
    tmp_path = tmp_path_factory.mktemp("console")
    return run_bot(_env(tmp_path), tmp_path, [line for line, _ in SCRIPT]), tmp_path


def test_console_session_exits_cleanly(session) -> None:  # type: ignore[no-untyped-def]
    result, _ = session
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout


def test_transcript_is_numbered_and_ordered(session) -> None:  # type: ignore[no-untyped-def]
    result, _ = session
    messages, preamble = parse(result.stdout)
    assert [m.number for m in messages] == list(range(1, len(messages) + 1))
    # every input line is echoed under the member's name, in order
    echoes = [m for m in messages if not m.author.startswith("govbot")]
    assert [m.text for m in echoes] == [line for line, _ in SCRIPT]
    assert preamble == []
    for m in messages:
        assert m.author == "govbot" or PRIVATE.match(m.author) or re.fullmatch(r"\w+", m.author)


def test_each_line_is_handled_before_the_next(session) -> None:  # type: ignore[no-untyped-def]
    result, _ = session
    messages, _ = parse(result.stdout)
    echo_index = [i for i, m in enumerate(messages) if not m.author.startswith("govbot")]
    assert len(echo_index) == len(SCRIPT)
    for (line, expected), i in zip(SCRIPT, echo_index, strict=True):
        echo = messages[i]
        assert echo.text == line
        if expected is None:
            continue
        # the reply to this line is the very next message, before the next line's echo
        reply = messages[i + 1]
        rendered = f"{reply.author}: {reply.text}".replace("\n", " ")
        assert rendered.startswith(expected), f"{line!r} → {rendered[:200]!r}"


def _after(messages: list[Message], line: str) -> Message:
    """The message right after the last echo of `line`."""
    for i in range(len(messages) - 1, -1, -1):
        if not messages[i].author.startswith("govbot") and messages[i].text == line:
            return messages[i + 1]
    raise AssertionError(f"{line!r} not in the transcript")


def test_private_replies_buttons_and_notes(session) -> None:  # type: ignore[no-untyped-def]
    result, _ = session
    messages, _ = parse(result.stdout)
    assert "[#5] govbot → bob (private): Vote recorded on #1: pizza" in result.stdout
    card = messages[1]
    assert (card.number, card.author) == (2, "govbot")
    assert card.buttons == ["pizza", "sushi"]
    assert "  [1] pizza  [2] sushi" in result.stdout.splitlines()
    basic = _after(messages, "/propose Adopt the charter method=basic")
    assert basic.number == 23 and basic.buttons == ["for", "against", "abstain"]
    assert _after(messages, "/propose Logo | circle | square | star method=ranked").buttons == []
    as_bob = next(m for m in messages if m.text == "/as bob")
    assert as_bob.notes == ["you are now bob"]
    assert any(n == "bob reacted 👍 on #2" for m in messages for n in m.notes)
    assert any(n == "bob removed 👍 on #2" for m in messages for n in m.notes)
    plain = next(m for m in messages if m.text.startswith("hello"))
    assert plain.text == "hello @everyone <b>hi</b>"  # user text printed as typed
    help_text = _after(messages, "/help").text
    assert "/as <name>" in help_text and "/press <msg>" in help_text


def test_results_with_charts(session) -> None:  # type: ignore[no-untyped-def]
    result, tmp_path = session
    messages, _ = parse(result.stdout)
    expected = {
        1: 'Result: passed: "pizza" wins',
        2: 'Result: passed: "infra" wins',
        3: 'Result: passed: "star" wins',
        4: "Result: tied: no winner",
        5: 'Result: passed: "a" wins',
        6: 'Result: passed: "for" wins',
    }
    for number, verdict in expected.items():
        card = _after(messages, f"/close {number}")
        assert verdict in card.text, card.text
        assert re.search(r"^Audit hash: [0-9a-f]{64}$", card.text, re.M)
        assert len(card.images) == 1
        image = Path(card.images[0])
        assert image.is_file() and image.read_bytes()[:8] == PNG_MAGIC
        assert image.parent == tmp_path / "charts"
        # posted once: the next message is the next input line's echo
        follower = messages[messages.index(card) + 1]
        assert not follower.author.startswith("govbot")
    assert "Round 1: circle 0, square 1, star 2" in _after(messages, "/close 3").text


def test_audit_verify_after_the_session(session) -> None:  # type: ignore[no-untyped-def]
    result, tmp_path = session
    assert result.returncode == 0
    verified = run_bot(_env(tmp_path), tmp_path, args=("audit", "verify"))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "audit OK" in verified.stdout and "6 closed proposals" in verified.stdout


def test_empty_input_exits_cleanly(tmp_path: Path) -> None:
    result = run_bot(_env(tmp_path), tmp_path)
    assert result.returncode == 0 and result.stdout == ""
    assert "Traceback" not in result.stderr
