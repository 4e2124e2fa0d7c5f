"""Contributions and reputation: ledger rules, the trust-seeded score, and its snapshots."""
