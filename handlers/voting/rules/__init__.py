"""Multi-winner and Condorcet counting rules: pure functions over ballots and weights.

Kept apart from `handlers/voting/methods/` (one module per *method*, the table) because
one rule may serve several methods (seq-Phragmén completes Equal Shares) and because
they are checked against the field's libraries in tests and benches.
"""
