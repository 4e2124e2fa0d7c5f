"""Wallet linking (EIP-4361), token-weighted strategies, delegation and signed ballots.

Pure rules and parsing live here; the chain is reached only through the `ChainPort`
Protocol in `handlers.wallets.chain` (bot/integrations/chain.py implements it with web3).
"""
