"""One community across Discord and Telegram (issue 8): places, fan-out, one voter per person."""
