"""Roles that follow rules: a platform role (or a gated group) for members who meet a rule
over their wallet, token balances, reputation and council seats."""
