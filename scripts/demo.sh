#!/usr/bin/env bash
# One-command demo: SQLite database, Celery on a broker kept in files (no Redis, no PostgreSQL),
# Django's web server on 127.0.0.1:8000 and one worker with beat. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
# The demo flag, not DEBUG: visitors meet Concord's own 404/403/500 pages (DEBUG's pages list every
# URL and break the CSP); config/settings.py relaxes only what a laptop needs (see CONCORD_DEMO).
export CONCORD_DEMO=1
unset DEBUG
export DATABASE_URL="sqlite:///$PWD/var/demo.sqlite3"
export CELERY_BROKER_URL="filesystem://"
# The demo's programme manager signs in with a password alone; production requires a second factor.
export CONCORD_REQUIRE_OTP="${CONCORD_REQUIRE_OTP:-0}"
unset REDIS_URL
export CONCORD_LOG_DIR="${CONCORD_LOG_DIR:-$PWD/var/logs}"
mkdir -p var/logs

$PY manage.py migrate --no-input -v 0
$PY manage.py seed_demo

$PY -m celery -A config worker -B -Q default,evals,ingest --concurrency 2 \
  --without-mingle --without-gossip --loglevel INFO \
  --schedule var/celerybeat-schedule >var/worker.log 2>&1 &
WORKER=$!
trap 'kill $WORKER 2>/dev/null || true; wait $WORKER 2>/dev/null || true' EXIT INT TERM

echo
echo "Concord demo: http://127.0.0.1:8000/accounts/login/  (worker log: var/worker.log)"
echo
$PY manage.py runserver 127.0.0.1:8000 --noreload
