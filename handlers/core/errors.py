"""Domain errors: raised by handlers, turned into one clear reply by the dispatcher.

Every refusal a member can trigger is one of these, so no command ever answers with a
stack trace and the dispatcher can guarantee nothing was written (the error is raised
before any write, or inside the transaction that it rolls back).
"""

from __future__ import annotations


class DomainError(Exception):
    """A refusal with a one-line reason and, optionally, the right usage."""

    def __init__(self, message: str, *, usage: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage


class BadArguments(DomainError):
    """The command's arguments are missing, extra, malformed or too long."""


class BadBallot(DomainError):
    """A ballot that cannot be read against the proposal's choices."""


class UnknownCommand(DomainError):
    """No command by that name."""


class NotFound(DomainError):
    """The proposal (or other object) named does not exist in this community."""


class NotAllowed(DomainError):
    """The member may not do this (not the author, not an admin, not eligible)."""


class NotEligible(NotAllowed):
    """The member may not vote or propose under the community's rules."""


class VotingClosed(DomainError):
    """The proposal is closed, cancelled or past its end time."""


class WrongPlace(DomainError):
    """The command needs another context (a group chat, a reply, a private chat)."""


class TryAgain(DomainError):
    """A dependency (chain, model) is unavailable right now; nothing was written."""
