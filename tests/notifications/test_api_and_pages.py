"""The inbox through the API and the pages: a user sees and marks only their own notifications; the header shows
the unread count; the e-mail switches; bad input answers in both languages, naming the field, and changes
nothing."""

from __future__ import annotations

from django.test import Client

from rongcuo.audit.models import AuditEvent
from rongcuo.notifications.models import EmailPreference, Notification

from .conftest import zj_filed


def test_the_list_is_the_users_own_and_paged(world, as_user, today) -> None:
    cid = zj_filed(world, as_user, today)
    zju = as_user("zju_reviewer")
    code, page = zju.get("/notifications", limit=50)
    assert code == 200 and page["unread"] >= 1 and page["total"] >= page["unread"]
    mine = [n for n in page["items"] if n["case_number"] and n["link"] == f"/cases/{cid}/"]
    assert mine and mine[0]["kind"] == "stage_changed" and mine[0]["read_at"] is None
    assert mine[0]["kind_label"] == {"zh": "您的案件进入新阶段", "en": "A stage change on your case"}
    assert mine[0]["title"]["zh"].startswith("新的申请") and mine[0]["title"]["en"].startswith("New application")
    own = set(Notification.objects.filter(recipient=world.users["zju_reviewer"]).values_list("pk", flat=True))
    assert {n["id"] for n in page["items"]} <= own
    code, first = zju.get("/notifications", limit=1)
    code, second = zju.get("/notifications", limit=1, offset=1)
    if page["total"] > 1:
        assert first["items"][0]["id"] > second["items"][0]["id"]  # newest first
    code, err = zju.get("/notifications", limit=0)
    assert code == 400 and err["field"] == "limit" and err["message"]["zh"] and err["message"]["en"]
    # Someone with no notification sees none of anyone's.
    code, none = as_user("outsider").get("/notifications")
    assert code == 200 and none == {"total": 0, "unread": 0, "items": []}
    assert Client().get("/api/notifications").status_code == 401


def test_marking_read_only_ones_own_and_all_or_nothing(world, as_user, today) -> None:
    zj_filed(world, as_user, today)
    zju, zj = as_user("zju_reviewer"), as_user("zj_caseworker")
    mine = Notification.objects.filter(recipient=world.users["zju_reviewer"], read_at__isnull=True).first()
    theirs = Notification.objects.filter(recipient=world.users["zj_caseworker"], read_at__isnull=True).first()
    assert mine is not None and theirs is not None
    code, err = zju.post("/notifications/read", {"ids": [mine.pk, theirs.pk]})
    assert code == 404 and err["field"] == "ids" and str(theirs.pk) in err["message"]["zh"]
    assert "notification" in err["message"]["en"]
    mine.refresh_from_db(), theirs.refresh_from_db()
    assert mine.read_at is None and theirs.read_at is None  # nothing marked, not even the user's own
    code, err = zju.post("/notifications/read", {"ids": [True]})
    assert code == 400 and err["field"].startswith("ids")
    code, done = zju.post("/notifications/read", {"ids": [mine.pk]})
    assert code == 200 and done["marked"] == 1
    mine.refresh_from_db()
    assert mine.read_at is not None
    code, done = zj.post("/notifications/read", {"all": True})
    assert code == 200 and done["marked"] >= 1 and done["unread"] == 0


def test_preferences_switch_kinds_and_refuse_unknown_ones(world, as_user, today) -> None:
    chen = as_user("chen")
    code, prefs = chen.get("/notifications/preferences")
    assert code == 200 and all(prefs["email"].values()) and prefs["address"] is False
    assert prefs["kinds"]["decision_issued"] == {"zh": "认定结果已出具", "en": "A decision issued"}
    events = AuditEvent.objects.count()
    code, err = chen.post("/notifications/preferences", {"email": {"stage_changed": False, "gossip": False}})
    assert code == 400 and err["field"] == "email" and "gossip" in err["message"]["zh"]
    assert "gossip" in err["message"]["en"] and "stage_changed" in err["message"]["en"]
    code, err = chen.post("/notifications/preferences", {"email": {"stage_changed": "no"}})
    assert code == 400 and err["field"] == "email"
    assert not EmailPreference.objects.filter(user=world.users["chen"]).exists()  # nothing changed
    assert AuditEvent.objects.count() == events
    code, prefs = chen.post("/notifications/preferences", {"email": {"stage_changed": False}})
    assert code == 200 and prefs["email"]["stage_changed"] is False and prefs["email"]["assigned"] is True
    assert AuditEvent.objects.filter(action="notification.preferences").count() == 1


def test_the_inbox_page_header_count_and_mark_read(world, as_user, today) -> None:
    cid = zj_filed(world, as_user, today)
    c = Client()
    c.force_login(world.users["zju_reviewer"])
    unread = Notification.objects.filter(recipient=world.users["zju_reviewer"], read_at__isnull=True).count()
    html = c.get("/work/").content.decode()
    assert 'href="/inbox/"' in html
    assert f'<span class="badge">{unread}<span class="visually-hidden"> 条未读</span>' in html
    html = c.get("/inbox/").content.decode()
    assert "新的申请" in html and "提出申请（经承担单位审核）" in html
    assert "zju_reviewer" not in html.split("</header>")[1]
    n = Notification.objects.filter(recipient=world.users["zju_reviewer"], case_id=cid).first()
    # Opening a notification marks it read and goes to its page.
    r = c.post("/inbox/read/", {"id": n.pk, "open": "1"})
    assert r.status_code == 302 and r["Location"] == f"/cases/{cid}/"
    n.refresh_from_db()
    assert n.read_at is not None
    # Someone else's: refused on the page, naming it, nothing marked.
    other = Notification.objects.filter(recipient=world.users["zj_caseworker"]).first()
    r = c.post("/inbox/read/", {"id": other.pk})
    assert r.status_code == 404 and "您没有编号为" in r.content.decode()
    other.refresh_from_db()
    assert other.read_at is None
    r = c.post("/inbox/read/", {"all": "1"})
    assert r.status_code == 302
    assert not Notification.objects.filter(recipient=world.users["zju_reviewer"], read_at__isnull=True).exists()
    assert "条未读" not in c.get("/work/").content.decode()
    # In English too.
    c.cookies["django_language"] = "en"
    html = c.get("/inbox/").content.decode()
    assert "Notifications" in html and "New application" in html and "新的申请" not in html


def test_the_preferences_page(world) -> None:
    c = Client()
    c.force_login(world.users["chen"])
    html = c.get("/inbox/preferences/").content.decode()
    assert 'name="email.stage_changed"' in html and "您的账号没有登记电子邮箱" in html
    ticked = {f"email.{k}": "1" for k in ("assigned", "facts_requested", "review_due", "objection_received",
                                          "decision_issued")}
    r = c.post("/inbox/preferences/", ticked)
    assert r.status_code == 302
    assert list(EmailPreference.objects.filter(user=world.users["chen"], email=False)
                .values_list("kind", flat=True)) == ["stage_changed"]
    r = c.post("/inbox/preferences/", {**ticked, "email.gossip": "1"})
    assert r.status_code == 400 and "gossip" in r.content.decode()
    assert Client().get("/inbox/").status_code == 302  # signed in only


def test_an_id_beyond_a_database_integer_is_not_found_not_a_server_error(world) -> None:
    from tests.factories import Api

    code, err = Api(world.users["zju_reviewer"]).post("/notifications/read", {"ids": [2**70]})
    assert code == 404 and err["field"] == "ids"
