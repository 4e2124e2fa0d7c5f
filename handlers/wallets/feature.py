"""Wallets: Sign-In with Ethereum linking, signed ballots, delegation, token weights."""

from __future__ import annotations

from handlers.core.feature import Feature
from handlers.wallets.commands import COMMANDS
from handlers.wallets.policy import WalletPolicy
from handlers.wallets.strategies import KINDS, chain_strategy

FEATURE = Feature(
    name="wallets",
    commands=COMMANDS,
    strategies={kind: chain_strategy(kind) for kind in KINDS},
    settings=WalletPolicy,
)
