"""Elected councils: nominations, elections by STV or approval, staggered terms, council
votes, a veto window on passed proposals, recalls and by-elections."""
