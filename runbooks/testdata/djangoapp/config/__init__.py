"""The test project's configuration package.

Celery is optional here: the project runs without it, and when it is
installed the app is loaded so that tasks bind to it (celery -A config).
"""
try:
    from .celery import app as celery_app
except ImportError:  # Celery is not installed: no background jobs.
    celery_app = None

__all__ = ("celery_app",)
