"""Reach: AI summaries of a proposal's discussion (`/summary <id>`)."""
