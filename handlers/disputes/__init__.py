"""Disputes: challenge a result, a credit, a battle or a reward epoch; a jury decides."""
