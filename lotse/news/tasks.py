"""Background tasks of the news app (django.tasks, run by ``manage.py db_worker``)."""

from __future__ import annotations

from django.tasks import task


@task()
def send_post_batch(post_id: int) -> int:
    """Send the next batch of a published post to its organisation's subscribers."""
    from .services import mailing_send_batch

    return mailing_send_batch(post_id=post_id)
