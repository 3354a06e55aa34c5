"""Opening a new SQLite file of the data folder while another process sets it up (two ingests started together):
the switch to WAL can be answered "busy", and is tried again until the other process is done."""

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from assistant.index.folder import write_ahead_log


def test_the_switch_to_wal_waits_for_a_process_setting_up_the_same_new_file(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    other = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    other.execute("BEGIN EXCLUSIVE")  # another process creating its tables, not yet in WAL
    other.execute("CREATE TABLE documents (source TEXT)")
    mine = sqlite3.connect(str(path), timeout=0.05, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        mine.execute("PRAGMA journal_mode=WAL")  # what a single attempt meets

    def finish() -> None:
        time.sleep(0.3)
        other.execute("COMMIT")

    threading.Thread(target=finish).start()
    write_ahead_log(mine)
    assert mine.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert mine.execute("SELECT count(*) FROM documents").fetchone() == (0,)
    mine.close()
    other.close()
