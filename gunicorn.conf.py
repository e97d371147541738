"""gunicorn settings for production (``gunicorn -c gunicorn.conf.py powerlists.wsgi``); see README, Deploying.

Every value can be set from the environment. Workers are processes (the product keeps no state in
memory: cache and rate limits are in Redis, sessions in the database), so more workers, or more
machines behind a load balancer, scale it out.
"""
import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))  # an import of 20,000 rows fits well within it
graceful_timeout = 30
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))  # recycle workers: bounded memory
max_requests_jitter = 200
limit_request_line = 8190
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")  # the load balancer's address
accesslog = None  # the product logs each request itself (powerlists.ops.logs), as JSON with LOG_FORMAT=json
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
preload_app = True
