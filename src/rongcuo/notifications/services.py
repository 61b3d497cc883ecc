"""Writes of the notifications: a notification made (with its e-mail queued after the commit), notifications marked
read, a user's e-mail switches. Errors are `rongcuo.common.errors` (Chinese and English, naming the field); a refused
call changes nothing."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from rongcuo.audit.services import audit_append
from rongcuo.cases.models import Case
from rongcuo.common.errors import Invalid, NotFound
from rongcuo.notifications.models import DeliveryStatus, EmailDelivery, EmailPreference, Kind, Notification

log = logging.getLogger("rongcuo.notifications")

KINDS = [k.value for k in Kind]
MAX_READ_IDS = 500  # notifications marked read in one request


def notify(*, recipients: Iterable[Any], kind: str, case: Case | None, title: tuple[str, str],
           body: tuple[str, str], link: str, actor: Any = None) -> list[Notification]:
    """One notification for each recipient (each once; never the actor, who knows what they did), written in the
    caller's transaction, so it is never lost and never made for a change that is rolled back. The e-mail of each
    one whose recipient has an address and has not switched this kind off is written beside it (`EmailDelivery`)
    and queued for the background worker once the transaction commits (`tasks.deliver_email`)."""
    if kind not in KINDS:
        raise Invalid(f"未知的通知类型：{kind}", f"unknown notification kind: {kind}", field="kind")
    actor_id = getattr(actor, "pk", None)
    people = {u.pk: u for u in recipients if u is not None and u.pk != actor_id and u.is_active}
    if not people:
        return []
    now = timezone.now()
    made = Notification.objects.bulk_create([
        Notification(recipient=u, kind=kind, case=case, title_zh=title[0][:300], title_en=title[1][:300],
                     body_zh=body[0], body_en=body[1], link=link, created_at=now)
        for _, u in sorted(people.items())])
    off = set(EmailPreference.objects.filter(user_id__in=people, kind=kind, email=False)
              .values_list("user_id", flat=True))
    deliveries = EmailDelivery.objects.bulk_create([
        EmailDelivery(notification=n, to=n.recipient.email, next_attempt_at=now, created_at=now)
        for n in made if n.recipient.email and n.recipient_id not in off])
    ids = [d.pk for d in deliveries]
    if ids:
        transaction.on_commit(lambda: deliveries_queue(ids))
    return made


def deliveries_queue(ids: list[int]) -> None:
    """Queue the sending of these e-mails (after the commit that wrote them). A queue that cannot be reached loses
    nothing: the deliveries stay pending, and `manage.py notifications_deliver` queues every one that is due."""
    from rongcuo.notifications.tasks import deliver_email

    for pk in ids:
        try:
            deliver_email.enqueue(pk)
        except Exception:
            log.exception("could not queue the e-mail of delivery %s; it stays pending", pk)


@transaction.atomic
def notifications_mark_read(*, user: Any, ids: list[int] | None = None, everything: bool = False) -> int:
    """Mark the user's notifications read: those of `ids`, or all of them. An id that is not one of the user's
    own notifications (someone else's, or none) refuses the whole request, naming it, and marks nothing. Returns
    how many were newly marked. (Reading is the user's own business: no audit event.)"""
    if everything:
        return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
    ids = list(ids or [])
    if len(ids) > MAX_READ_IDS:
        raise Invalid(f"一次最多标记 {MAX_READ_IDS} 条通知", f"at most {MAX_READ_IDS} notifications at a time",
                      field="ids")
    bad = [i for i in ids if isinstance(i, bool) or not isinstance(i, int)]
    if bad:
        raise Invalid("通知编号应为整数", "notification ids must be whole numbers", field="ids")
    # an id beyond a database integer is no notification of anyone's (and must not reach the database)
    own = set(Notification.objects.filter(recipient=user, pk__in=[i for i in ids if 0 < i < 2**63])
              .values_list("pk", flat=True))
    missing = [i for i in ids if i not in own]
    if missing:
        raise NotFound(f"您没有编号为 {missing[0]} 的通知（未作任何标记）",
                       f"you have no notification {missing[0]} (nothing was marked)", field="ids")
    return Notification.objects.filter(pk__in=own, read_at__isnull=True).update(read_at=timezone.now())


def preferences_of(user: Any) -> dict[str, bool]:
    """Whether the user receives each kind's e-mail (on unless switched off)."""
    off = set(EmailPreference.objects.filter(user=user, email=False).values_list("kind", flat=True))
    return {k: k not in off for k in KINDS}


@transaction.atomic
def preferences_set(*, user: Any, email: Mapping[str, Any]) -> dict[str, bool]:
    """Switch the user's e-mail on or off for the kinds named (the others stay as they are). A kind that does not
    exist, or a value that is not true/false, refuses the whole change, naming it. Audit event
    `notification.preferences` with the switches before and after."""
    unknown = [k for k in email if k not in KINDS]
    if unknown:
        raise Invalid(f"未知的通知类型：{unknown[0]}（可用：{'、'.join(KINDS)}）",
                      f"unknown notification kind: {unknown[0]} (one of {', '.join(KINDS)})", field="email")
    bad = [k for k, v in email.items() if not isinstance(v, bool)]
    if bad:
        raise Invalid(f"“{bad[0]}”的取值应为 true 或 false", f"the value of {bad[0]} must be true or false",
                      field="email")
    before = preferences_of(user)
    for kind, on in email.items():
        EmailPreference.objects.update_or_create(user=user, kind=kind, defaults={"email": on})
    after = preferences_of(user)
    if after != before:
        audit_append(actor=user, action="notification.preferences", subject=user,
                     before={"email": before}, after={"email": after})
    return after


@transaction.atomic
def deliveries_retry_failed(*, actor: Any = None) -> list[int]:
    """Give every e-mail that was given up (`failed`) a new round of attempts; returns their ids, to be queued
    after the commit. Audit event `notification.retry` with how many."""
    ids = list(EmailDelivery.objects.select_for_update().filter(status=DeliveryStatus.failed)
               .values_list("pk", flat=True))
    if ids:
        EmailDelivery.objects.filter(pk__in=ids).update(status=DeliveryStatus.pending, attempts=0,
                                                        next_attempt_at=timezone.now())
        audit_append(actor=actor, action="notification.retry", subject_type="notifications.emaildelivery",
                     subject_id="failed", after={"deliveries": len(ids)})
    return ids
