"""Sending a notification's e-mail: the background task, run by the worker (`manage.py db_worker`).

The task makes nothing new: it sends the e-mail an `EmailDelivery` row (written with the notification, in the
change's transaction) stands for, and records what happened. Each attempt is counted before the message goes
out, and the row's `next_attempt_at` is moved to when the next attempt may be made, so a worker that dies while
sending leaves a row that is tried again then, never one that is lost. A failure (the mail server down, a 4xx
answer) keeps the row pending and queues the next attempt for that time; a permanent refusal (a 5xx answer) or the
last attempt allowed (`NOTIFY_MAIL_MAX_ATTEMPTS`) marks it failed, with the error, logged for the operator and
listed in the admin, until `manage.py notifications_deliver --failed` tries it again. A message may, rarely, go
out twice (a worker that dies after the server accepted it and before the row says so); never zero times.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from rongcuo.notifications.models import DeliveryStatus, EmailDelivery
from rongcuo.notifications.recipients import display_name

log = logging.getLogger("rongcuo.notifications")


@task()
def deliver_email(delivery_id: int) -> str:
    """Send the e-mail of one delivery row, if it is still pending and due: "sent", "retry", "failed" or "skipped"."""
    return delivery_attempt(delivery_id)


def retry_delay(attempts: int) -> dt.timedelta:
    """How long after its `attempts`-th attempt a delivery is tried again: BASE × 4^(attempts-1) seconds."""
    return dt.timedelta(seconds=settings.NOTIFY_MAIL_RETRY_SECONDS * 4 ** max(attempts - 1, 0))


def delivery_attempt(delivery_id: int) -> str:
    now = timezone.now()
    with transaction.atomic():  # claim the attempt: counted, and the next one set, before anything is sent
        d = (EmailDelivery.objects.select_for_update().select_related("notification__recipient")
             .filter(pk=delivery_id).first())
        if d is None or d.status != DeliveryStatus.pending or d.next_attempt_at > now:
            return "skipped"  # sent already, given up, or another attempt holds it until its next time
        d.attempts += 1
        d.next_attempt_at = now + retry_delay(d.attempts)
        d.save(update_fields=["attempts", "next_attempt_at"])
    try:
        message(d).send()
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        give_up = permanent(exc) or d.attempts >= settings.NOTIFY_MAIL_MAX_ATTEMPTS
        EmailDelivery.objects.filter(pk=d.pk, status=DeliveryStatus.pending).update(
            last_error=error, status=DeliveryStatus.failed if give_up else DeliveryStatus.pending)
        if give_up:
            log.error("notification e-mail %s to %s failed after %s attempt(s), not retried: %s "
                      "(manage.py notifications_deliver --failed tries again)", d.pk, d.to, d.attempts, error)
            return "failed"
        log.warning("notification e-mail %s to %s failed (attempt %s), tried again at %s: %s",
                    d.pk, d.to, d.attempts, d.next_attempt_at.isoformat(timespec="seconds"), error)
        retry_later(d.pk, d.next_attempt_at)
        return "retry"
    EmailDelivery.objects.filter(pk=d.pk).update(status=DeliveryStatus.sent, sent_at=timezone.now(), last_error="")
    return "sent"


def retry_later(delivery_id: int, when: dt.datetime) -> None:
    """Queue the next attempt for `when`. A queue that runs tasks at once cannot wait (the tests' immediate
    backend): the row stays pending and due then, for `manage.py notifications_deliver`."""
    if deliver_email.get_backend().supports_defer:
        try:
            deliver_email.using(run_after=when).enqueue(delivery_id)
        except Exception:
            log.exception("could not queue the next attempt of delivery %s; it stays pending", delivery_id)


def permanent(exc: BaseException) -> bool:
    """Whether the mail server refused for good (a 5xx answer, for every recipient): trying again cannot help."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def message(d: EmailDelivery) -> EmailMessage:
    """The e-mail of a delivery: the notification's title as the subject, its text in Chinese, then in English,
    each with the link to the page, and where to switch such e-mail off."""
    n = d.notification
    site = settings.SITE_URL
    name = display_name(n.recipient)
    prefs = f"{site}/inbox/preferences/"
    body = "\n".join([
        f"{name}，您好：" if name else "您好：", "", n.body_zh, "", f"查看：{site}{n.link}", "", "——",
        f"Dear {name}," if name else "Hello,", "", n.body_en, "", f"Open: {site}{n.link}", "", "——",
        f"此邮件由容错平台自动发送，请勿回复。不想再收到此类邮件，可在 {prefs} 关闭。",
        f"Sent by the Rongcuo platform; please do not reply. To stop e-mails of this kind, switch them off at "
        f"{prefs}.",
    ])
    return EmailMessage(subject=f"【容错】{n.title_zh} / {n.title_en}", body=body,
                        from_email=settings.DEFAULT_FROM_EMAIL, to=[d.to])
