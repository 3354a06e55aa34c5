"""The PostgreSQL fixtures the server state store tests stand on: a database of its own per test, a cluster
reachable on loopback only, and nothing left running once a test is over, even a failed one."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import psycopg
import pytest

from tests.fixtures.servers import postgres_server

_seen_databases: list[str] = []


@pytest.mark.parametrize("run", ["first", "second"])
def test_each_test_gets_an_empty_database_of_its_own(postgres_url: str, run: str) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        tables = connection.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
        assert tables.fetchall() == [], f"the {run} test found tables another test left behind"
        # Left for the other run to (not) find.
        connection.execute("CREATE TABLE left_behind (id integer)")
        connection.execute("INSERT INTO left_behind VALUES (1)")
        name = connection.execute("SELECT current_database()").fetchone()
    assert name is not None
    assert name[0] not in _seen_databases
    _seen_databases.append(name[0])


def test_the_server_listens_on_loopback_only(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as connection:
        row = connection.execute("SELECT current_setting('listen_addresses'), host(inet_server_addr())").fetchone()
    assert row == ("127.0.0.1", "127.0.0.1")


def _fail_while_serving(folder: Path, urls: list[str]) -> None:
    with postgres_server(folder) as url:
        urls.append(url)
        psycopg.connect(url).close()
        raise RuntimeError("the test failed")


def test_a_server_is_stopped_when_the_test_using_it_fails() -> None:
    folder = Path(tempfile.mkdtemp(prefix="qa-postgres-"))
    urls: list[str] = []
    try:
        with pytest.raises(RuntimeError, match="the test failed"):
            _fail_while_serving(folder, urls)
        assert not (folder / "data" / "postmaster.pid").exists(), "the server did not shut down"
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(urls[0], connect_timeout=2).close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
