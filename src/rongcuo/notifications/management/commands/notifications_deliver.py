from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from rongcuo.notifications.models import DeliveryStatus, EmailDelivery
from rongcuo.notifications.services import deliveries_queue, deliveries_retry_failed


class Command(BaseCommand):
    help = ("把到期待发的通知邮件交给后台任务发送（例如任务队列曾无法写入时），--failed 同时重新尝试已停止重试的邮件。"
            "可由 cron 定时运行；重复运行不会重复发送。\n"
            "Queue every pending notification e-mail that is due for the background worker (e.g. after the queue "
            "could not be written), and with --failed give the ones that were given up a new round of attempts. "
            "Safe to run from cron (`*/15 * * * * … manage.py notifications_deliver`): a message is never sent "
            "twice by it.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--failed", action="store_true",
                            help="重新尝试已停止重试的邮件 / try the failed (given-up) e-mails again")

    def handle(self, *args: Any, **options: Any) -> None:
        again: list[int] = []
        if options["failed"]:
            with transaction.atomic():
                again = deliveries_retry_failed(actor=None)
        due = list(EmailDelivery.objects.filter(status=DeliveryStatus.pending, next_attempt_at__lte=timezone.now())
                   .order_by("pk").values_list("pk", flat=True))
        deliveries_queue(due)
        self.stdout.write(f"交付待发邮件 {len(due)} 封（其中重新尝试已失败的 {len(again)} 封）/ "
                          f"{len(due)} e-mails queued ({len(again)} of them failed before)")
        failed = EmailDelivery.objects.filter(status=DeliveryStatus.failed).count()
        if failed:
            self.stderr.write(f"仍有 {failed} 封邮件发送失败，见管理后台“email deliveries” / {failed} e-mails "
                              "have failed: see the admin's email deliveries, or run with --failed")
