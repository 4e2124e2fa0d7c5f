"""Blind A/B ratings: battles, pair choice, Bradley–Terry leaderboard."""
