#!/usr/bin/env bash
# The whole suite on SQLite, then again on a throwaway PostgreSQL. Extra arguments go
# to pytest (e.g. scripts/test.sh -k audit).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
trap 'scripts/pg.sh stop' EXIT
PG_URL=$(scripts/pg.sh start | tail -1)
echo "== suite on SQLite =="
# Each worker has its own SQLite file, so the SQLite run spreads over the cores; the
# PostgreSQL run shares one database and stays in one process.
HOZEN_TEST_DATABASE=sqlite $PY -m pytest -n "${HOZEN_SQLITE_WORKERS:-2}" "$@"
echo "== suite on PostgreSQL =="
HOZEN_TEST_DATABASE="$PG_URL" $PY -m pytest "$@"
