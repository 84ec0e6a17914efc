"""Loaded with `-p tests.bootstrap`, before pytest-django reads the settings: the test
environment is the embedded one unless DATABASE_URL says otherwise."""

import os

os.environ.setdefault("IWMS_EMBEDDED", "1")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
os.environ.setdefault("IWMS_VAR_DIR", os.path.join(os.path.dirname(os.path.dirname(__file__)), "var", "test"))
# Playwright's sync API runs an event loop in the test thread; Django's ORM must still be usable there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
