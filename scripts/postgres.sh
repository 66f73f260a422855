#!/usr/bin/env bash
# Start the machine's PostgreSQL 15 and make sure the test role and databases exist.
# Prints the SQLAlchemy URL of the test database; fails (non-zero) if PostgreSQL is unreachable.
set -euo pipefail
PG_USER="${PG_USER:-patentbridge}"
PG_PASSWORD="${PG_PASSWORD:-patentbridge}"
PG_HOST="${PG_HOST:-127.0.0.1}"
PG_PORT="${PG_PORT:-5432}"

if command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_ctlcluster 15 main start >&2 || true   # "already running" is fine; unreachable fails below
fi
for _ in $(seq 1 30); do
    pg_isready -q -h "$PG_HOST" -p "$PG_PORT" && break
    sleep 1
done
if ! pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; then
    echo "PostgreSQL is not reachable on $PG_HOST:$PG_PORT" >&2
    exit 1
fi

as_postgres() { su postgres -c "psql -v ON_ERROR_STOP=1 -qAt $*" ; }
if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1; then
    if [ "$(as_postgres "-c \"SELECT 1 FROM pg_roles WHERE rolname='$PG_USER'\"")" != 1 ]; then
        as_postgres "-c \"CREATE ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASSWORD'\"" >&2
    fi
    for db in patentbridge_test patentbridge_check patentbridge_process; do
        if [ "$(as_postgres "-c \"SELECT 1 FROM pg_database WHERE datname='$db'\"")" != 1 ]; then
            su postgres -c "createdb -O $PG_USER $db" >&2
        fi
    done
fi
echo "postgresql+psycopg://$PG_USER:$PG_PASSWORD@$PG_HOST:$PG_PORT"
