#!/bin/sh
# Waits for the database, applies migrations when asked (web only), then runs the command.
set -e
python - <<'PY'
import os, sys, time
import django
django.setup()
from django.db import connection
for attempt in range(60):
    try:
        connection.ensure_connection()
        break
    except Exception as exc:  # the database container may still be starting
        print(f"waiting for the database: {exc.__class__.__name__}", file=sys.stderr)
        time.sleep(1)
else:
    sys.exit("the database did not answer in 60 s")
PY
if [ "${CONCORD_MIGRATE:-0}" = "1" ]; then
  python manage.py migrate --no-input
fi
exec "$@"
