"""The test run's settings: the product's (powerlists/settings.py) with what a test run needs first.

- A key of the run's own (the product refuses to start without SECRET_KEY when DEBUG is off), set in the
  environment so that every process a test starts (manage.py, gunicorn) has it too.
- Checkpoints of the audit chain in a temporary directory of the run's own (removed at the end), never
  under MEDIA_ROOT; and none after requests unless a test asks for them (tests/test_audit_chain.py does,
  into its own tmp_path): a test's database is rolled back, a checkpoint of it would outlive it.
"""
import atexit
import os
import shutil
import tempfile

os.environ.setdefault("SECRET_KEY", "powerlists-test-run-only-key-never-used-in-production-7c1e5a90d2b4")
if "AUDIT_CHECKPOINT_DIR" not in os.environ:
    _checkpoints = tempfile.mkdtemp(prefix="powerlists-test-checkpoints-")
    os.environ["AUDIT_CHECKPOINT_DIR"] = _checkpoints
    atexit.register(shutil.rmtree, _checkpoints, ignore_errors=True)
os.environ.setdefault("AUDIT_CHECKPOINT_AFTER_REQUESTS", "0")

from powerlists.settings import *  # noqa: E402,F403
