"""Start and stop a throwaway PostgreSQL cluster for the test suite.

The storage layer must be tested against a real PostgreSQL, not only SQLite,
but tests must not depend on (or damage) a server someone already runs. So each
test session gets its own cluster: a fresh data directory in a temp dir, a free
TCP port on 127.0.0.1, trust auth, and durability switched off because the data
is thrown away anyway.

Only the stdlib is used for process control so that this file also works from
the system Python (``.ci/run`` imports ``find_pg_bin`` before the venv exists);
asyncpg is imported lazily and only when ``psql`` is missing.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import glob
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PG_USER = "postgres"
"""System user the server runs as when we are root (postgres refuses to run as root)."""

START_TIMEOUT = 60
"""Seconds ``pg_ctl -w start`` may take before we give up."""

INITDB_OPTS = ("--no-sync", "-E", "UTF8", "--locale=C")
"""--no-sync: skip fsync of the new cluster (it is thrown away); C locale: fast, and
does not depend on which locales the machine has generated."""

_DB_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def _has_tools(d: Path) -> bool:
    return (d / "initdb").is_file() and (d / "pg_ctl").is_file()


def _version_key(d: Path) -> tuple[int, ...]:
    """Sort key for /usr/lib/postgresql/<version>/bin so that 15 beats 9.6."""
    return tuple(int(n) for n in re.findall(r"\d+", d.parent.name)) or (0,)


def find_pg_bin() -> Path | None:
    """Return the directory holding ``initdb`` and ``pg_ctl``, or None.

    Debian installs the server binaries outside PATH, so besides PATH we look in
    /usr/lib/postgresql/*/bin (newest version first) and finally ask dpkg.
    ``$GOVBOT_PG_BIN``, when set, is authoritative: a wrong value gives None
    instead of silently testing against some other installation.
    """
    override = os.environ.get("GOVBOT_PG_BIN")
    if override:
        return Path(override) if _has_tools(Path(override)) else None

    which = shutil.which("initdb")
    if which:
        # /usr/local/bin/initdb may be a symlink into the real bin dir.
        for d in (Path(which).resolve().parent, Path(which).parent):
            if _has_tools(d):
                return d

    dirs = sorted(
        (Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin")), key=_version_key, reverse=True
    )
    for d in dirs:
        if _has_tools(d):
            return d

    if shutil.which("dpkg-query"):
        pkgs = subprocess.run(
            ["dpkg-query", "-W", "-f=${Package}\\n", "postgresql-[0-9]*"],
            capture_output=True,
            text=True,
        ).stdout.split()
        for pkg in sorted(pkgs, reverse=True):
            files = subprocess.run(["dpkg", "-L", pkg], capture_output=True, text=True).stdout
            for line in files.splitlines():
                if line.endswith("/initdb") and _has_tools(Path(line).parent):
                    return Path(line).parent
    return None


def _as_pg_user(cmd: list[str]) -> list[str]:
    """Prefix ``cmd`` so it runs as the postgres user when we are root.

    ``runuser`` needs no password or PAM session; ``su`` is the fallback on
    systems without util-linux. Non-root users run the server as themselves.
    """
    if os.geteuid() != 0:
        return cmd
    if shutil.which("runuser"):
        return ["runuser", "-u", PG_USER, "--", *cmd]
    return ["su", PG_USER, "-s", "/bin/sh", "-c", shlex.join(cmd)]


def _pg_cmd(pg_bin: Path, tool: str, *args: str) -> list[str]:
    """Command line for a server tool (initdb, pg_ctl), run as the postgres user if needed."""
    return _as_pg_user([str(pg_bin / tool), *args])


def _free_port() -> int:
    """Ask the kernel for an unused port. Another process could grab it before
    the server binds, so ``start_cluster`` retries on "address in use"."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(cmd: list[str], cwd: Path, what: str, timeout: float = START_TIMEOUT) -> None:
    """Run a command; on failure raise RuntimeError carrying its output."""
    try:
        proc = subprocess.run(
            cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired as e:
        raise RuntimeError(f"{what} timed out after {timeout}s: {shlex.join(cmd)}") from e
    if proc.returncode != 0:
        raise RuntimeError(
            f"{what} failed (exit {proc.returncode}): {shlex.join(cmd)}\n"
            f"{proc.stdout}{proc.stderr}".rstrip()
        )


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as e:
        return f"(no server log: {e})"


@dataclass
class PgCluster:
    """A running throwaway cluster. Call ``stop()`` when done (atexit does it too)."""

    url: str
    """``postgresql://postgres@127.0.0.1:<port>/govbot_test`` (trust auth, no password)."""
    port: int
    pg_bin: Path
    tmp_dir: Path
    started_in: float
    """Seconds ``start_cluster()`` took: initdb, server start and the test database."""
    host: str = "127.0.0.1"
    _watchdog: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _stopped: bool = field(default=False, repr=False)

    @property
    def data_dir(self) -> Path:
        return self.tmp_dir / "data"

    @property
    def log_file(self) -> Path:
        return self.tmp_dir / "server.log"

    def url_for(self, database: str) -> str:
        return f"postgresql://{PG_USER}@{self.host}:{self.port}/{database}"

    def stop(self) -> None:
        """Stop the server at once and delete its files.

        ``-m immediate`` skips the shutdown checkpoint: nothing here is worth
        saving. Safe to call twice.
        """
        if self._stopped:
            return
        self._stopped = True
        atexit.unregister(self.stop)
        subprocess.run(
            _pg_cmd(self.pg_bin, "pg_ctl", "stop", "-D", str(self.data_dir), "-m", "immediate"),
            cwd=self.tmp_dir,
            capture_output=True,
            stdin=subprocess.DEVNULL,
        )
        shutil.rmtree(self.tmp_dir, ignore_errors=True)
        if self._watchdog is not None:
            # Closing its stdin wakes the watchdog; it sees the data dir is gone and exits.
            if self._watchdog.stdin:
                self._watchdog.stdin.close()
            self._watchdog.wait(timeout=10)

    def new_database(self, name: str) -> str:
        """Create an empty database and return its URL, for tests that need a clean slate.

        The name must be a plain lowercase identifier so it needs no quoting in
        SQL or in the URL.
        """
        if not _DB_NAME.fullmatch(name):
            raise ValueError(f"database name must match {_DB_NAME.pattern}: {name!r}")
        psql = self.pg_bin / "psql"
        psql_cmd = str(psql) if psql.is_file() else shutil.which("psql")
        if psql_cmd:
            admin = ("-d", self.url_for("postgres"))
            sql = ("-c", f"CREATE DATABASE {name}")
            _run([psql_cmd, "-X", "-q", *admin, *sql], cwd=self.tmp_dir, what=f"creating {name}")
        else:
            _run_coro(_create_database_asyncpg(self.url_for("postgres"), name))
        return self.url_for(name)


async def _create_database_asyncpg(admin_url: str, name: str) -> None:
    import asyncpg  # lazy: only needed when psql is missing, and absent from system Python

    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f"CREATE DATABASE {name}")
    finally:
        await conn.close()


def _run_coro(coro: Coroutine[Any, Any, None]) -> None:
    """``asyncio.run`` in a worker thread, so it also works when the caller is
    already inside an event loop (e.g. an async pytest fixture)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coro).result()


def _start_watchdog(pg_bin: Path, tmp_dir: Path) -> subprocess.Popen[bytes]:
    """Stop the server even if this Python process is killed (SIGKILL, CI timeout).

    atexit covers normal exits, exceptions and Ctrl-C, but not a hard kill; and
    pg_ctl detaches the postmaster into its own session, so it would outlive
    us forever. The watchdog is a shell blocked reading a pipe from us: when we
    die by any means the pipe closes, and it stops the server if the data dir
    still exists.
    """
    data = tmp_dir / "data"
    stop = shlex.join(_pg_cmd(pg_bin, "pg_ctl", "stop", "-D", str(data), "-m", "immediate"))
    script = (
        f"cat >/dev/null; if [ -d {shlex.quote(str(data))} ]; then "
        f"{stop} >/dev/null 2>&1; rm -rf {shlex.quote(str(tmp_dir))}; fi"
    )
    return subprocess.Popen(
        ["/bin/sh", "-c", script],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd="/",
        start_new_session=True,  # a Ctrl-C to our process group must not kill it first
    )


def start_cluster(database: str = "govbot_test") -> PgCluster:
    """initdb a fresh cluster in a temp dir, start it, and create ``database``.

    Raises RuntimeError (with the server log tail) if the binaries are missing
    or the server does not come up within ``START_TIMEOUT`` seconds.
    """
    t0 = time.monotonic()
    pg_bin = find_pg_bin()
    if pg_bin is None:
        raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) not found")

    tmp_dir = Path(tempfile.mkdtemp(prefix="govbot-pg-"))
    if os.geteuid() == 0:
        # The server runs as postgres and must own its data dir, log and socket dir.
        shutil.chown(tmp_dir, PG_USER, PG_USER)
    data = tmp_dir / "data"
    try:
        _run(
            _pg_cmd(pg_bin, "initdb", "-D", str(data), "-A", "trust", "-U", PG_USER, *INITDB_OPTS),
            cwd=tmp_dir,
            what="initdb",
        )
    except Exception:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        raise

    watchdog = _start_watchdog(pg_bin, tmp_dir)
    cluster = PgCluster(
        url="", port=0, pg_bin=pg_bin, tmp_dir=tmp_dir, started_in=0.0, _watchdog=watchdog
    )
    atexit.register(cluster.stop)
    try:
        # -l matters: without it the postmaster would inherit our capture pipes.
        wait = ("-w", "-t", str(START_TIMEOUT))
        start = _pg_cmd(
            pg_bin, "pg_ctl", "start", *wait, "-D", str(data), "-l", str(cluster.log_file)
        )
        for attempt in range(3):
            cluster.port = _free_port()
            # Fast and private: no fsync, TCP only on loopback, socket inside tmp_dir.
            # Appending keeps the file owned by postgres; the last setting wins.
            with (data / "postgresql.conf").open("a") as conf:
                conf.write(
                    f"\nport = {cluster.port}\n"
                    "listen_addresses = '127.0.0.1'\n"
                    f"unix_socket_directories = '{tmp_dir}'\n"
                    "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                )
            cluster.log_file.unlink(missing_ok=True)
            try:
                _run(start, cwd=tmp_dir, what="pg_ctl start", timeout=START_TIMEOUT + 10)
                break
            except RuntimeError as e:
                log = _tail(cluster.log_file)
                if attempt < 2 and "could not bind" in log:
                    continue  # lost the race for the port; try another one
                raise RuntimeError(f"{e}\n--- server log tail ---\n{log}") from None
        cluster.url = cluster.url_for(database)
        cluster.new_database(database)
    except BaseException:
        cluster.stop()
        raise
    cluster.started_in = time.monotonic() - t0
    return cluster


if __name__ == "__main__":  # manual check: python tests/pgcluster.py
    c = start_cluster()
    print(f"{c.url} up in {c.started_in:.2f}s", file=sys.stderr)
    c.stop()
