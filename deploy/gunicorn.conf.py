"""gunicorn settings for Lotse (``gunicorn -c deploy/gunicorn.conf.py lotse.wsgi``).

Everything comes from the same environment as the application: ``HOST``/``PORT`` (as for
``make run``), ``WEB_CONCURRENCY`` worker processes (default: 2 per core + 1),
``GUNICORN_THREADS`` threads per process and ``LOTSE_TRUSTED_PROXIES``.
"""

import gc
import multiprocessing
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
# Threads let a worker serve another request while one waits for PostgreSQL or Redis.
threads = int(os.environ.get("GUNICORN_THREADS") or 2)
worker_class = "gthread"
# Load Django once, then fork: less memory per worker and a broken deploy fails at start.
preload_app = True
timeout = 30
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (a slow leak in any library never grows without bound).
max_requests = 5000
max_requests_jitter = 500
# X-Forwarded-* only from our own proxies (the application checks the same list itself).
forwarded_allow_ips = os.environ.get("LOTSE_TRUSTED_PROXIES") or "127.0.0.1,::1"
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
# The access log without query strings: they can hold tokens of e-mailed links.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
proc_name = "lotse"


def pre_fork(server, worker):  # noqa: ARG001 - gunicorn's hook signature
    """Move what the master loaded (Django, Lotse's modules: ``preload_app``) out of the
    garbage collector's reach before forking a worker. Those objects live as long as the
    process; a full collection scanned them all on some requests (pauses of 80–170 ms on the
    planning dashboard, bench/planning.py), and touching them copied the shared pages into
    every worker (Python's documentation of ``gc.freeze``)."""
    gc.freeze()
