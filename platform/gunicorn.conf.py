"""gunicorn settings for Concord's web process (see docker-compose.yml)."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# Workers are recycled after this many requests, a bound on slow memory growth. Each recycle boots
# a worker (Django and Inspect's log models imported again) and stalls the requests queued on its
# keep-alive connections for seconds: at 2,000, a busy worker restarted every few seconds and a
# trivial view's p95 was 2-4 s (benchmarks/serving.py); at 20,000 the bound holds, rarely paid.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Large log uploads are streamed to temporary files by Django; keep them off the container layer.
worker_tmp_dir = "/dev/shm"  # noqa: S108
