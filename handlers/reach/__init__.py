"""Reach: reminders before votes close (in the proposal's places and privately)."""
