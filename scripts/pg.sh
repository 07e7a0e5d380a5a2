#!/usr/bin/env bash
# A throwaway PostgreSQL on loopback for the tests: scripts/pg.sh start|stop
set -euo pipefail
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PGTMP=${HOZEN_PGTMP:-/tmp/hozen-pg}
PGPORT=${HOZEN_PGPORT:-55432}
as_pg() { if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/sh -c "$1"; else sh -c "$1"; fi; }
case "${1:-}" in
  start)
    if [ -f "$PGTMP/data/postmaster.pid" ]; then "$0" stop || true; fi
    rm -rf "$PGTMP" && mkdir -p "$PGTMP"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$PGTMP"
    as_pg "$PGBIN/initdb -D $PGTMP/data -U postgres -A trust -E UTF8 --locale=C.UTF-8 >$PGTMP/initdb.log 2>&1"
    as_pg "$PGBIN/pg_ctl -D $PGTMP/data -l $PGTMP/pg.log -w -t 30 -o \"-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGTMP -c fsync=off -c max_connections=200\" start" >/dev/null
    psql -q -h 127.0.0.1 -p "$PGPORT" -U postgres -c "CREATE DATABASE hozen_test;"
    echo "postgresql+psycopg://postgres@127.0.0.1:$PGPORT/hozen_test"
    ;;
  stop)
    as_pg "$PGBIN/pg_ctl -D $PGTMP/data -m fast -w stop" >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
