"""Run the reference `@openzeppelin/merkle-tree` (npm) from tests and the bench.

The package is pinned in tests/rewards/js/package.json and installed on first use into
tests/rewards/js/node_modules (git-ignored) with npm. Without node and npm a test skips
with the reason, except in CI (CI=true), where it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

JS = Path(__file__).resolve().parent / "js"


def ensure_installed() -> str | None:
    """None when ready, else why not."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node and npm are needed to run @openzeppelin/merkle-tree"
    if not (JS / "node_modules" / "@openzeppelin" / "merkle-tree").is_dir():
        done = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--silent"],
            cwd=JS,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            return f"npm install failed: {done.stderr.strip()[:300]}"
    return None


def need_js() -> None:
    problem = ensure_installed()
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(problem)
        pytest.skip(problem)


def reference_tree(values: list[tuple[str, int]], *, root_only: bool = False) -> dict[str, Any]:
    """What @openzeppelin/merkle-tree makes of these leaves."""
    done = subprocess.run(
        ["node", str(JS / "merkle.js"), *(["--root"] if root_only else [])],
        input=json.dumps([[a, str(n)] for a, n in values]),
        capture_output=True,
        text=True,
        cwd=JS,
        timeout=600,
        check=True,
    )
    return json.loads(done.stdout)
