"""E-mail goes out after the commit, through a real SMTP server started here (aiosmtpd on 127.0.0.1): the right
recipient, subject and Chinese text; nothing for a change rolled back or a kind switched off; a failed delivery
(the server down, or answering 4xx) is tried again later and delivered once the server is back, never lost; and
the real database worker (django-tasks-db) runs the same."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from rongcuo.cases import services as case_svc
from rongcuo.cases.models import Case
from rongcuo.notifications import services as svc
from rongcuo.notifications.models import DeliveryStatus, EmailDelivery, Notification
from tests.factories import OPINIONS

from .conftest import zj_filed


def filed(world: Any, as_user: Any, today: Any, capture: Any, *, facts_mail: bool = False) -> Case:
    """chen's Zhejiang application filed, its notifications sent after the commit. Filing also asks the host unit
    and the caseworker for their facts: unless `facts_mail`, those two switch that kind's e-mail off, so that each
    is sent one e-mail (the new application's)."""
    from rongcuo.notifications.models import EmailPreference

    if not facts_mail:
        for name in ("zju_reviewer", "zj_caseworker"):
            EmailPreference.objects.update_or_create(user=world.users[name], kind="facts_requested",
                                                     defaults={"email": False})
    with capture(execute=True):
        cid = zj_filed(world, as_user, today)
    return Case.objects.get(pk=cid)


def later(minutes: int = 60) -> None:
    """Time passes: every pending delivery is due again."""
    EmailDelivery.objects.filter(status=DeliveryStatus.pending).update(
        next_attempt_at=timezone.now() - dt.timedelta(minutes=minutes))


def test_delivered_through_smtp_after_the_commit(world, as_user, today, smtp, addresses,
                                                  django_capture_on_commit_callbacks) -> None:
    smtp.start()
    case = filed(world, as_user, today, django_capture_on_commit_callbacks, facts_mail=True)
    to = {m["To"] for m in smtp.mailbox.received}
    assert to == {addresses["zju_reviewer"], addresses["zj_caseworker"]}  # not chen, who filed it
    mine = [m for m in smtp.mailbox.received if m["To"] == addresses["zju_reviewer"]]
    # the new application, and the facts the host unit is asked to attest
    assert sorted(m["Subject"].split()[0] for m in mine) == ["【容错】新的申请", "【容错】请认定事实：案件"]
    msg = next(m for m in mine if "新的申请" in m["Subject"])
    assert msg["Subject"].strip() == (f"【容错】新的申请 {case.number}：提出申请（经承担单位审核） / New application "
                              f"{case.number}: Application (reviewed by the host unit)")
    body = msg.get_content()
    assert f"项目“{case.project.title}”的容错免责申请（案件 {case.number}）已提交" in body
    assert body.index("您好") < body.index("Hello")  # Chinese first
    assert f"https://rongcuo.example.cn/cases/{case.pk}/" in body and "/inbox/preferences/" in body
    assert "zju_reviewer" not in body and "容错平台" in msg["From"]
    assert [e.rcpt_tos for e in smtp.mailbox.envelopes if addresses["zju_reviewer"] in e.rcpt_tos]
    d = EmailDelivery.objects.get(notification__case=case, to=addresses["zju_reviewer"],
                                  notification__title_zh__startswith="新的申请")
    assert d.status == DeliveryStatus.sent and d.attempts == 1 and d.sent_at and not d.last_error


def test_nothing_is_sent_when_the_transaction_rolls_back(world, as_user, today, smtp, addresses,
                                                        django_capture_on_commit_callbacks) -> None:
    smtp.start()
    case = filed(world, as_user, today, django_capture_on_commit_callbacks)
    sent, notes = len(smtp.mailbox.received), Notification.objects.count()
    case_svc.case_set_facts(case=case, actor=world.users["zju_reviewer"], role="host_unit_attestation",
                            facts={"zj_termination_application": True})
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError), \
            transaction.atomic():
        case_svc.case_transition(case=case, actor=world.users["zju_reviewer"], action="forward_by_host_unit",
                                 opinion=OPINIONS["forward_by_host_unit"])
        assert Notification.objects.count() > notes  # written with the change…
        raise RuntimeError("the request fails after the step")
    assert Notification.objects.count() == notes  # …and gone with it
    assert not callbacks and len(smtp.mailbox.received) == sent
    assert Case.objects.get(pk=case.pk).stage == "application"


def test_a_kind_switched_off_sends_no_email_but_stays_in_the_inbox(world, as_user, today, smtp, addresses,
                                                                  django_capture_on_commit_callbacks) -> None:
    smtp.start()
    svc.preferences_set(user=world.users["zju_reviewer"], email={"stage_changed": False})
    case = filed(world, as_user, today, django_capture_on_commit_callbacks, facts_mail=True)
    # the new application reaches the host unit's inbox only; the facts asked of it come by e-mail too
    to_unit = [m["Subject"] for m in smtp.mailbox.received if m["To"] == addresses["zju_reviewer"]]
    assert len(to_unit) == 1 and "请认定事实" in to_unit[0]
    assert Notification.objects.filter(case=case, recipient=world.users["zju_reviewer"]).count() == 2
    assert not EmailDelivery.objects.filter(notification__recipient=world.users["zju_reviewer"],
                                            notification__kind="stage_changed").exists()
    # Another kind still comes by e-mail.
    from rongcuo.cases import hooks

    with django_capture_on_commit_callbacks(execute=True):
        for requested in hooks.ON_FACTS_REQUESTED:
            requested(case=case, role="host_unit_reviewer", facts=[("已申请终止项目", "Termination applied for")],
                      actor=None)
    assert [m["To"] for m in smtp.mailbox.received][-1] == addresses["zju_reviewer"]
    assert "请认定事实" in smtp.mailbox.received[-1]["Subject"]


def test_a_failed_delivery_is_retried_later_and_never_lost(world, as_user, today, smtp, addresses, settings,
                                                          django_capture_on_commit_callbacks) -> None:
    settings.NOTIFY_MAIL_MAX_ATTEMPTS = 3
    # The mail server is down: the change is made, the inbox has it, the e-mail waits with the error on record.
    case = filed(world, as_user, today, django_capture_on_commit_callbacks)
    waiting = list(EmailDelivery.objects.filter(notification__case=case))
    assert len(waiting) == 2
    for d in waiting:
        d.refresh_from_db()
        assert d.status == DeliveryStatus.pending and d.attempts == 1 and "Connection" in d.last_error
        assert d.next_attempt_at > timezone.now() + dt.timedelta(seconds=50)  # 60 s later, not at once
    call_command("notifications_deliver", stdout=_Null(), stderr=_Null())  # not due yet: nothing is tried
    assert {d.attempts for d in EmailDelivery.objects.filter(notification__case=case)} == {1}

    # Back up, but answering 451 (try again later): still pending, the second attempt counted, a longer pause.
    smtp.start()
    smtp.mailbox.refuse = True
    later()
    call_command("notifications_deliver", stdout=_Null(), stderr=_Null())
    for d in EmailDelivery.objects.filter(notification__case=case):
        assert d.status == DeliveryStatus.pending and d.attempts == 2 and "451" in d.last_error
        assert d.next_attempt_at > timezone.now() + dt.timedelta(minutes=3)  # 4 × 60 s
    assert not smtp.mailbox.received

    # It accepts mail again: the next run delivers both, once each.
    smtp.mailbox.refuse = False
    later()
    call_command("notifications_deliver", stdout=_Null(), stderr=_Null())
    assert sorted(m["To"] for m in smtp.mailbox.received) == sorted([addresses["zju_reviewer"],
                                                                    addresses["zj_caseworker"]])
    assert all(d.status == DeliveryStatus.sent and d.attempts == 3
               for d in EmailDelivery.objects.filter(notification__case=case))
    later()
    call_command("notifications_deliver", stdout=_Null(), stderr=_Null())
    assert len(smtp.mailbox.received) == 2  # a later run sends nothing twice


def test_given_up_after_the_last_attempt_it_stays_failed_until_tried_again(
        world, as_user, today, smtp, addresses, settings, django_capture_on_commit_callbacks) -> None:
    settings.NOTIFY_MAIL_MAX_ATTEMPTS = 2
    case = filed(world, as_user, today, django_capture_on_commit_callbacks)
    later()
    call_command("notifications_deliver", stdout=_Null(), stderr=_Null())
    failed = EmailDelivery.objects.filter(notification__case=case)
    assert {(d.status, d.attempts) for d in failed} == {(DeliveryStatus.failed, 2)}
    assert all(d.last_error for d in failed)
    later()
    call_command("notifications_deliver", stdout=_Null(), stderr=_Null())  # given up: not tried by a plain run
    assert {d.attempts for d in EmailDelivery.objects.filter(notification__case=case)} == {2}
    smtp.start()
    err = _Null()
    call_command("notifications_deliver", "--failed", stdout=_Null(), stderr=err)
    assert len(smtp.mailbox.received) == 2 and not err.text
    assert {d.status for d in EmailDelivery.objects.filter(notification__case=case)} == {DeliveryStatus.sent}


def test_the_database_worker_sends_and_retries(world, as_user, today, smtp, addresses, settings, monkeypatch,
                                               django_capture_on_commit_callbacks) -> None:
    from django_tasks_db.management.commands import db_worker
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)  # the test's transaction stays open

    def work() -> None:  # `manage.py db_worker --batch`, in this process: every task that is due, then stop
        db_worker.Worker(queue_names=["default"], interval=0, batch=True, backend_name="default",
                         startup_delay=False, max_tasks=None, worker_id="test-worker", excluded_queue_names=[]).run()

    case = filed(world, as_user, today, django_capture_on_commit_callbacks)
    assert DBTaskResult.objects.filter(status="READY").count() == 2  # queued after the commit, nothing sent yet
    assert {d.attempts for d in EmailDelivery.objects.filter(notification__case=case)} == {0}
    work()  # the server is down: each attempt fails and queues the next for a minute later
    assert {d.attempts for d in EmailDelivery.objects.filter(notification__case=case)} == {1}
    retries = DBTaskResult.objects.filter(status="READY")
    assert retries.count() == 2 and all(r.run_after > timezone.now() for r in retries)
    work()  # not due yet: nothing runs
    assert not smtp.mailbox.received
    smtp.start()
    retries.update(run_after=timezone.now())
    later()
    work()
    assert sorted(m["To"] for m in smtp.mailbox.received) == sorted([addresses["zju_reviewer"],
                                                                    addresses["zj_caseworker"]])
    assert {d.status for d in EmailDelivery.objects.filter(notification__case=case)} == {DeliveryStatus.sent}
    assert not DBTaskResult.objects.filter(status="READY").exists()


class _Null:
    def __init__(self) -> None:
        self.text = ""

    def write(self, s: str) -> None:
        self.text += s

    def flush(self) -> None:
        pass
