#!/usr/bin/env bash
# The whole suite on SQLite, then again on a throwaway PostgreSQL. Extra arguments go
# to pytest (e.g. scripts/test.sh -k audit).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
trap 'scripts/pg.sh stop' EXIT
PG_URL=$(scripts/pg.sh start | tail -1)
# Each pytest-xdist worker has a database of its own (a SQLite file; a PostgreSQL
# database named after the worker), so both runs spread over the cores.
WORKERS=${HOZEN_TEST_WORKERS:-2}
echo "== suite on SQLite =="
HOZEN_TEST_DATABASE=sqlite $PY -m pytest -n "$WORKERS" "$@"
echo "== suite on PostgreSQL =="
HOZEN_TEST_DATABASE="$PG_URL" $PY -m pytest -n "$WORKERS" "$@"
