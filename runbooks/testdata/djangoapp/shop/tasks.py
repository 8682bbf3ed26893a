from celery import shared_task


@shared_task
def touch():
    """A task that does nothing but prove a worker ran it."""
    return "done"
