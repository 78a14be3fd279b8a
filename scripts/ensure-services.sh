#!/usr/bin/env bash
# Make PostgreSQL and Redis reachable for the test suite. Honours DATABASE_URL and REDIS_URL;
# starts the local servers when they are installed but not running.
set -uo pipefail

DB_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/concord}"
REDIS="${REDIS_URL:-redis://127.0.0.1:6379/0}"

hostport() {  # URL default_port -> "host port"
  python3 - "$1" "$2" <<'PY'
import sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
print(u.hostname or "127.0.0.1", u.port or int(sys.argv[2]))
PY
}

reachable() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

read -r PG_HOST PG_PORT < <(hostport "$DB_URL" 5432)
read -r R_HOST R_PORT < <(hostport "$REDIS" 6379)

if ! reachable "$PG_HOST" "$PG_PORT"; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    echo "Starting PostgreSQL $version ..."
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  fi
  for _ in $(seq 1 30); do reachable "$PG_HOST" "$PG_PORT" && break; sleep 1; done
fi
reachable "$PG_HOST" "$PG_PORT" || { echo "PostgreSQL is not reachable at $PG_HOST:$PG_PORT (DATABASE_URL)." >&2; exit 1; }

if ! reachable "$R_HOST" "$R_PORT"; then
  if command -v redis-server >/dev/null 2>&1; then
    echo "Starting Redis ..."
    redis-server --daemonize yes --bind 127.0.0.1 --port "$R_PORT" --save "" --appendonly no || true
  fi
  for _ in $(seq 1 20); do reachable "$R_HOST" "$R_PORT" && break; sleep 0.5; done
fi
reachable "$R_HOST" "$R_PORT" || { echo "Redis is not reachable at $R_HOST:$R_PORT (REDIS_URL)." >&2; exit 1; }
echo "PostgreSQL at $PG_HOST:$PG_PORT and Redis at $R_HOST:$R_PORT are up."
