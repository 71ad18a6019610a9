"""gunicorn settings for the tracker, as docs/operations.md deploys it:

    gunicorn -c gunicorn.conf.py 'tracker:create_app()'

Three settings follow the environment: TRACKER_BIND (default 127.0.0.1:8000), TRACKER_WORKERS
(4) and TRACKER_THREADS (4 per worker). Any other setting can be given on the command line,
which wins over this file (e.g. `--timeout 120`).
"""

import os

bind = os.environ.get("TRACKER_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("TRACKER_WORKERS", "4"))

# Threaded workers. A sync worker answers its master's heartbeat only between requests, so
# the master kills it `timeout` seconds into any longer request: a 100,000-row CSV export
# stopped half-way with status 200, and the XLSX one, built before its first byte, gave a 500.
# A gthread worker's main loop keeps the heartbeat while its threads serve, so an export of
# a million rows (minutes) runs to its last byte. `timeout` then only restarts a worker that
# has hung as a whole; it is not a limit on how long a request may take.
worker_class = "gthread"
threads = int(os.environ.get("TRACKER_THREADS", "4"))
timeout = 60

# On a restart or stop, a running download gets this long to finish before it is cut.
# (Under systemd, give the unit a TimeoutStopSec above it.)
graceful_timeout = 300

# One line per request on standard output: client, time, method, path, status, bytes and
# microseconds taken. %(U)s is the path alone. Never add %(q)s (the query string), %(r)s (the
# request line, query string included) or %(f)s (the referrer, which holds the previous page's
# query string): a list's filters and text searches may name people.
accesslog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(D)s'
