"""The inbox (Notification), each user's e-mail switches (EmailPreference) and the e-mail outbox (EmailDelivery).

Writes go through `rongcuo.notifications.services`; these models hold no business logic."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from rongcuo.cases.models import Case


class Kind(models.TextChoices):
    """What a notification is about. The labels are what the preferences page shows."""

    assigned = "assigned", "案件分派给您 A case assigned to you"
    facts_requested = "facts_requested", "请您认定事实 Facts requested of you"
    stage_changed = "stage_changed", "您的案件进入新阶段 A stage change on your case"
    review_due = "review_due", "评审即将到期或已逾期 A review due soon or overdue"
    objection_received = "objection_received", "收到异议 An objection received"
    decision_issued = "decision_issued", "认定结果已出具 A decision issued"


class Notification(models.Model):
    """One message in one user's inbox. Its texts are written from labels (case number, project title, stage
    label), in Chinese and English, when the change happens: the inbox shows what was true then."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    title_zh = models.CharField(max_length=300)
    title_en = models.CharField(max_length=300)
    body_zh = models.TextField()
    body_en = models.TextField()
    link = models.CharField(max_length=300, help_text="the page, as a path of this site / 站内页面路径")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The inbox, newest first, and the header's unread count: both from the index alone.
            models.Index(fields=["recipient", "-id"], name="notif_inbox"),
            models.Index(fields=["recipient", "read_at"], name="notif_unread"),
        ]

    def __str__(self) -> str:
        return self.title_zh


class EmailPreference(models.Model):
    """A user's switch for the e-mail of one kind; without a row the e-mail is sent (the default is on)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_preferences")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    email = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_email_preference_per_kind")]


class DeliveryStatus(models.TextChoices):
    pending = "pending", "待发送 Pending"
    sent = "sent", "已发送 Sent"
    failed = "failed", "发送失败（已停止重试）Failed (no more retries)"


class EmailDelivery(models.Model):
    """The e-mail of one notification: the outbox row that makes sure it is sent, or that its failure shows.

    Written with the notification, in the same transaction; sent by the background task, which counts its attempts
    and, after a failure, sets when to try again (`next_attempt_at`). After the last attempt allowed it stays
    `failed` with the last error, for an administrator to see (admin, `manage.py notifications_deliver`)."""

    notification = models.OneToOneField(Notification, on_delete=models.CASCADE, related_name="delivery")
    to = models.EmailField(help_text="the address when the notification was made / 生成通知时的邮箱")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.pending)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "email deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notif_delivery_due")]

    def __str__(self) -> str:
        return f"{self.to} ({self.status})"
