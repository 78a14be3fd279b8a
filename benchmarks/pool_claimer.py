"""A pool worker that only claims: it long-polls `POST /api/v1/worker/claim/` with a pool
credential (CONCORD_WORKER_TOKEN) on one keep-alive connection and leaves each job it gets
running, so the dispatch benchmark measures the way from the job row to a pool worker's claim,
not an evaluation. Stopped by the benchmark (SIGTERM).

    CONCORD_WORKER_TOKEN=cwp_... python benchmarks/pool_claimer.py http://127.0.0.1:PORT
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import sys
import time
import urllib.parse


def main(base: str) -> None:
    url = urllib.parse.urlsplit(base)
    headers = {
        "Authorization": f"Bearer {os.environ['CONCORD_WORKER_TOKEN']}",
        "Content-Type": "application/json",
        "X-Concord-Worker": f"{socket.gethostname()}:{os.getpid()}",
    }
    body = json.dumps({"wait": 20})
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    while True:
        try:
            connection.request("POST", "/api/v1/worker/claim/", body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            connection.close()
            time.sleep(0.05)
            continue
        if response.status not in (200, 204):
            sys.exit(f"claim answered {response.status}: {data[:300]!r}")


if __name__ == "__main__":
    main(sys.argv[1])
