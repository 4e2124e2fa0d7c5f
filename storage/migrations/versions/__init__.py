"""Alembic revisions, one per schema version (`vNNN_name.py`, revision id `vNNN`).

A package only so that setuptools ships the files; Alembic loads them by path. Each
revision writes its DDL out in full and never imports `storage.schema*`: those modules
describe today's tables, and a revision must keep creating the tables *its* version had.
"""
