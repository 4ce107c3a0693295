"""An analyst in another process: queries the current snapshot in a loop until told to stop.

Usage: python tests/snapshot_reader.py <snapshots root> <stop file>
Prints one JSON line per query: the snapshot read and whether every table held the rows its
manifest promised (a half-published snapshot would not).
"""

import json
import sys
import time
from pathlib import Path

import duckdb

from recsys.publish.snapshots import attach, current


def main(root: Path, stop: Path) -> None:
    last = False
    while not last:
        # One more read once told to stop: what the analyst sees after the run.
        last = stop.exists()
        try:
            snapshot = current(root)
            conn = duckdb.connect()
            attach(conn, snapshot)
            counts = {
                table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in snapshot.tables
            }
            conn.close()
            line = {"snapshot": snapshot.folder.name, "complete": counts == snapshot.tables}
        except Exception as error:  # an analyst's failed query is what this test looks for
            line = {"error": f"{type(error).__name__}: {error}"}
        print(json.dumps(line), flush=True)
        time.sleep(0.05)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
