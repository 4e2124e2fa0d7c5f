"""Rewards: epochs, allocation, payout files (CSV, Safe batch, Merkle tree)."""
