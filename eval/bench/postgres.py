"""A temporary PostgreSQL cluster on loopback, for the tests of the server state store (tests/conftest.py
``postgres_url``) and for the server-stack benchmark (eval/bench/server_stack.py): Debian's `postgresql`
package's programs, run as the ``postgres`` user when we are root (PostgreSQL refuses to run as root)."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _postgres_bin_dir() -> Path:
    """The newest installed PostgreSQL's bin folder (Debian's layout; `pg_config --bindir` may be absent), else
    the folder of an ``initdb`` on PATH."""
    versions = [path for path in Path("/usr/lib/postgresql").glob("*/bin") if (path / "initdb").is_file()]
    on_path = shutil.which("initdb")
    if not versions and on_path:
        return Path(on_path).parent
    if not versions:
        raise RuntimeError(
            "PostgreSQL's server programs (initdb, postgres) are not installed under /usr/lib/postgresql/<version>/"
            "bin; install them with `apt-get install -y postgresql`"
        )
    return max(versions, key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else -1)


def postgres_installed() -> bool:
    """Whether PostgreSQL's server programs are installed."""
    try:
        _postgres_bin_dir()
    except RuntimeError:
        return False
    return True


def _server_account() -> dict[str, Any]:
    """Popen arguments that run PostgreSQL as an unprivileged user: it refuses to run as root."""
    if os.geteuid() != 0:
        return {}
    try:
        account = pwd.getpwnam("postgres")
    except KeyError:
        raise RuntimeError(
            "running as root, and PostgreSQL refuses to; the `postgres` user that `apt-get install -y postgresql` "
            "creates is missing"
        ) from None
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def _reachable_by(path: Path, uid: int) -> bool:
    """Whether ``uid`` (not root, in no group that matters) may enter every folder from / down to ``path``."""
    for folder in [path, *path.parents]:
        mode = folder.stat()
        if mode.st_uid != uid and not mode.st_mode & stat.S_IXOTH:
            return False
    return True


@contextmanager
def postgres_server(path: Path, port: int | None = None, *, throwaway: bool = True) -> Iterator[str]:
    """A real PostgreSQL cluster in the empty folder ``path``, listening on 127.0.0.1 only (its Unix socket in
    ``path``), trust auth, superuser ``qa`` with a database ``qa``; yields ``postgresql://qa@127.0.0.1:PORT/qa``
    and stops it (fast shutdown) afterwards. As root the server runs as the ``postgres`` user, so ``path`` must be
    reachable by it (pytest's tmp dirs are not: use one made by ``tempfile.mkdtemp()``). ``throwaway`` (tests)
    turns crash safety off and keeps memory small; a benchmark keeps the server's defaults, as installed."""
    bin_dir = _postgres_bin_dir()
    account = _server_account()
    path = path.resolve()
    path.mkdir(parents=True, exist_ok=True)
    if account:
        os.chown(path, account["user"], account["group"])
        if not _reachable_by(path, account["user"]):
            raise RuntimeError(
                f"{path} is not reachable by the postgres user that runs the server; use a folder under /tmp"
            )
    data = path / "data"
    log = path / "server.log"
    initdb = subprocess.run(
        [str(bin_dir / "initdb"), "-D", str(data), "-U", "qa", "-A", "trust", "-E", "UTF8", "--locale=C"]
        + (["--no-sync"] if throwaway else []),
        cwd=path,
        capture_output=True,
        text=True,
        check=False,
        **account,
    )
    if initdb.returncode != 0:
        raise RuntimeError(f"initdb failed:\n{initdb.stdout}{initdb.stderr}")
    port = port or _free_port()
    options = {
        "listen_addresses": "127.0.0.1",
        "port": str(port),
        "unix_socket_directories": str(path),
    }
    if throwaway:
        options.update(fsync="off", synchronous_commit="off", full_page_writes="off", shared_buffers="16MB")
    command = [str(bin_dir / "postgres"), "-D", str(data)]
    for name, value in options.items():
        command += ["-c", f"{name}={value}"]
    with log.open("wb") as log_file:
        process = subprocess.Popen(command, cwd=path, stdout=log_file, stderr=subprocess.STDOUT, **account)
    base = f"postgresql://qa@127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=2) as connection:
                    connection.execute("CREATE DATABASE qa")
                break
            except psycopg.OperationalError:
                log_text = log.read_text(errors="replace")
                if process.poll() is not None:
                    raise RuntimeError(f"postgres exited early:\n{log_text}") from None
                if time.monotonic() > deadline:
                    raise RuntimeError(f"postgres did not accept connections within 60 s:\n{log_text}") from None
                time.sleep(0.1)
        yield f"{base}/qa"
    finally:
        _stop_postgres(process)


def _stop_postgres(process: subprocess.Popen[bytes]) -> None:
    """Fast shutdown (SIGINT: sessions are ended, no wait for clients); immediate (SIGQUIT) if that stalls."""
    for stop_signal, grace in ((signal.SIGINT, 30), (signal.SIGQUIT, 10), (signal.SIGKILL, 10)):
        if process.poll() is not None:
            return
        process.send_signal(stop_signal)
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue
