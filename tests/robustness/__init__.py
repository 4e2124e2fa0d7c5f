"""Proof under crashes, concurrency and fuzz: tests that can fail.

* `test_crash.py` — SIGKILL the console bot mid-burst 20 times; every acknowledged
  vote is stored once and the audit chain verifies (SQLite and PostgreSQL).
* `test_scale_out.py` — two bot processes on one PostgreSQL database.
* `test_fuzz_*.py` — hypothesis through the dispatcher, the console and the platform fakes.
"""
