"""API tokens: issued on /my/tokens/ (the key shown once) or by `manage.py api_token`, used as a bearer token on
the API, revoked by their owner or an administrator — taking effect on the very next request — each change one
audit event that names the token but never carries its key or hash."""

from __future__ import annotations

import hashlib
import io
import json
import re
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from rongcuo.audit.models import AuditEvent
from rongcuo.audit.selectors import audit_verify
from rongcuo.cases.models import ApiToken
from rongcuo.cases.tokens import token_issue, token_revoke
from rongcuo.common.errors import Conflict, Forbidden, Invalid
from rongcuo.web.api import token_create

KEY_INPUT = re.compile(r'id="issued-key" value="([^"]+)"')


def page(world: Any, name: str) -> Client:
    c = Client()
    c.force_login(world.users[name])
    return c


def api_status(key: str, url: str) -> int:
    """A fresh client (no session): only the bearer token can authenticate it."""
    return Client().get(url, HTTP_AUTHORIZATION=f"Bearer {key}").status_code


def issue_on_page(c: Client, label: str) -> tuple[ApiToken, str]:
    r = c.post("/my/tokens/", {"label": label})
    assert r.status_code == 200, r.content.decode()[:2000]
    m = KEY_INPUT.search(r.content.decode())
    assert m, "the new key is shown on the answer"
    key = m.group(1)
    token = ApiToken.objects.get(key_hash=hashlib.sha256(key.encode()).hexdigest())
    assert "no-store" in r["Cache-Control"]
    assert "只显示这一次" in r.content.decode()  # the warning that it will not be shown again
    return token, key


def state() -> tuple[Any, ...]:
    return (list(ApiToken.objects.order_by("pk").values_list("pk", "label", "revoked")),
            AuditEvent.objects.count())


def test_issue_use_and_revoke_on_the_page(world, sz_case) -> None:
    wang = page(world, "wang")
    token, key = issue_on_page(wang, "数据同步脚本")
    assert token.user == world.users["wang"] and token.label == "数据同步脚本" and not token.revoked
    assert len(key) >= 40 and token.key_hash != key

    # Shown once: the list afterwards names the token but never shows its key.
    listing = wang.get("/my/tokens/")
    text = listing.content.decode()
    assert listing.status_code == 200 and "数据同步脚本" in text and f"#{token.pk}" in text
    assert key not in text and token.key_hash not in text and 'id="issued-key"' not in text
    assert "/my/tokens/" in wang.get("/my/").content.decode()  # linked from the signed-in user's pages

    # The key works on the API as wang.
    case_url = f"/api/cases/{sz_case['id']}"
    assert api_status(key, "/api/cases") == 200
    r = Client().get(case_url, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert r.status_code == 200 and r.json()["id"] == sz_case["id"]

    # Revoked on the page: the very next API request is refused.
    r = wang.post(f"/my/tokens/{token.pk}/revoke/")
    assert r.status_code == 302 and r["Location"] == "/my/tokens/"
    token.refresh_from_db()
    assert token.revoked
    assert api_status(key, "/api/cases") == 401
    assert api_status(key, case_url) == 401
    after = wang.get("/my/tokens/").content.decode()
    assert "已撤销" in after and "立即失效" in after  # the state in the list, and the flashed message


def test_token_lookup_is_cached_and_every_account_change_shows_on_the_next_request(world, sz_case) -> None:
    """The bearer token's user comes from the cache after the first request (no token query), never with the
    password hash in it; a revoked token, a deactivated user and a user's changed person apply at once."""
    import pickle

    from django.core.cache import cache
    from django.db import connection

    wang = world.users["wang"]
    token, key = token_issue(actor=wang, user=wang, label="缓存")
    token_reads: list[str] = []

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if "cases_apitoken" in sql:
            token_reads.append(sql)
        return execute(sql, params, many, context)

    case_url = f"/api/cases/{sz_case['id']}"
    with connection.execute_wrapper(count):
        assert [api_status(key, case_url) for _ in range(3)] == [200, 200, 200]
    assert len(token_reads) == 1
    cached = [pickle.loads(cache._cache[k])[1] for k in cache._cache if "token:" in k]  # locmem: (generation, user)
    assert cached and all(u.pk == wang.pk and "password" not in u.__dict__ for u in cached)

    wang.is_active = False
    wang.save(update_fields=["is_active"])
    assert api_status(key, case_url) == 401
    wang.is_active = True
    wang.save(update_fields=["is_active"])
    assert api_status(key, case_url) == 200
    person = wang.person
    person.user = None  # wang no longer is the applicant: the applicant's case is not his any more
    person.save(update_fields=["user"])
    assert api_status(key, case_url) == 404
    person.user = wang
    person.save(update_fields=["user"])
    assert api_status(key, case_url) == 200
    token_revoke(actor=wang, token=token)
    assert api_status(key, case_url) == 401

    # The token's user comes with their role grants: a removed role applies to the next request as well.
    from rongcuo.registry.models import Role, RoleGrant

    cw = world.users["sz_caseworker"]
    _, cw_key = token_issue(actor=cw, user=cw, label="经办")
    assert [api_status(cw_key, case_url) for _ in range(2)] == [200, 200]
    grant = RoleGrant.objects.get(user=cw, role=Role.caseworker)
    bureau = grant.organisation
    grant.delete()
    assert api_status(cw_key, case_url) == 404
    RoleGrant.objects.create(user=cw, role=Role.caseworker, organisation=bureau)
    assert api_status(cw_key, case_url) == 200


def test_another_user_cannot_revoke_an_administrator_can(world) -> None:
    token, key = issue_on_page(page(world, "wang"), "批量导出")
    before = state()
    for name in ("chen", "sz_caseworker", "auditor"):
        r = page(world, name).post(f"/my/tokens/{token.pk}/revoke/")
        assert r.status_code == 404, (name, r.status_code)
        assert "批量导出" not in r.content.decode()  # someone else's token is not even named
    assert state() == before
    assert api_status(key, "/api/cases") == 200
    # An account's list shows only its own tokens.
    assert "批量导出" not in page(world, "chen").get("/my/tokens/").content.decode()
    with pytest.raises(Forbidden):
        token_revoke(actor=world.users["chen"], token=token)
    assert state() == before

    # The administrator sees the valid tokens of other accounts, and revokes one.
    admin = page(world, "admin")
    assert "批量导出" in admin.get("/my/tokens/").content.decode()
    r = admin.post(f"/my/tokens/{token.pk}/revoke/")
    assert r.status_code == 302
    assert api_status(key, "/api/cases") == 401
    event = AuditEvent.objects.filter(action="api_token.revoke").get()
    assert event.actor == world.users["admin"] and event.after == {"id": token.pk, "label": "批量导出", "user": "wang",
                                                                  "revoked": True}

    # Revoking twice: 409, the field named, nothing changed.
    before = state()
    r = page(world, "wang").post(f"/my/tokens/{token.pk}/revoke/")
    assert r.status_code == 409 and "已撤销" in r.content.decode() and "令牌" in r.content.decode()
    assert state() == before
    with pytest.raises(Conflict) as exc:
        token_revoke(actor=world.users["wang"], token=token)
    assert exc.value.field == "token"
    # A token that does not exist: 404 on the page.
    assert page(world, "admin").post("/my/tokens/999999/revoke/").status_code == 404
    assert state() == before


def test_audit_events_name_the_token_never_its_key_or_hash(world) -> None:
    c = page(world, "wang")
    token, key = issue_on_page(c, "审计检查")
    c.post(f"/my/tokens/{token.pk}/revoke/")
    issued = AuditEvent.objects.get(action="api_token.issue")
    revoked = AuditEvent.objects.get(action="api_token.revoke")
    for e in (issued, revoked):
        assert e.actor == world.users["wang"] and e.subject_id == str(token.pk)
        assert e.subject_type == "cases.apitoken"
    assert issued.after == {"id": token.pk, "label": "审计检查", "user": "wang", "revoked": False}
    assert revoked.before["revoked"] is False and revoked.after["revoked"] is True
    everything = json.dumps(list(AuditEvent.objects.values("before", "after", "subject_id", "action")),
                            ensure_ascii=False)
    assert key not in everything and token.key_hash not in everything
    assert audit_verify().ok


@pytest.mark.parametrize("label, wanted", [("", "请填写令牌名称"), ("   ", "请填写令牌名称"),
                                           ("长" * 101, "最多 100 个字符"), ("a\nb", "控制字符")])
def test_bad_label_is_refused_on_the_page_naming_the_field(world, label: str, wanted: str) -> None:
    c = page(world, "wang")
    before = state()
    r = c.post("/my/tokens/", {"label": label})
    text = r.content.decode()
    assert r.status_code == 400
    assert "<strong>令牌名称</strong>" in text and wanted in text and 'aria-invalid="true"' in text
    assert 'id="issued-key"' not in text
    assert state() == before
    # In English too.
    c.cookies["django_language"] = "en"
    r = c.post("/my/tokens/", {"label": label})
    assert r.status_code == 400 and "<strong>Label</strong>" in r.content.decode()
    assert state() == before


def test_the_page_is_for_signed_in_users() -> None:
    r = Client().get("/my/tokens/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")


def test_services(world) -> None:
    wang, chen, admin = world.users["wang"], world.users["chen"], world.users["admin"]
    token, key = token_issue(actor=wang, user=wang, label=" 定时任务 ")
    assert token.label == "定时任务" and token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token_issue(actor=wang, user=wang, label="长" * 100)[0].label == "长" * 100  # the limit itself
    before = state()
    with pytest.raises(Forbidden):
        token_issue(actor=chen, user=wang, label="冒名")
    with pytest.raises(Invalid) as exc:
        token_issue(actor=wang, user=wang, label=None)  # type: ignore[arg-type]
    assert exc.value.field == "label"
    assert state() == before
    # An administrator issues for another account; an inactive account gets none.
    assert token_issue(actor=admin, user=chen, label="机器账号")[0].user == chen
    chen.is_active = False
    chen.save(update_fields=["is_active"])
    with pytest.raises(Invalid) as exc:
        token_issue(actor=admin, user=chen, label="停用账号")
    assert exc.value.field == "user"
    # The API module's helper (used by tests and the benchmark) is the service, issuing as the user.
    key2 = token_create(user=wang, label="helper")
    assert api_status(key2, "/api/cases") == 200
    assert AuditEvent.objects.filter(action="api_token.issue", after__label="helper", actor=wang).exists()


def test_command_issue_list_revoke(world) -> None:
    out = io.StringIO()
    call_command("api_token", "issue", "sz_caseworker", "--label", "市局同步", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    token = ApiToken.objects.get(key_hash=hashlib.sha256(key.encode()).hexdigest())
    assert token.user == world.users["sz_caseworker"] and token.label == "市局同步"
    assert "只显示这一次" in out.getvalue()
    assert api_status(key, "/api/cases") == 200
    event = AuditEvent.objects.get(action="api_token.issue")
    assert event.actor is None and event.actor_name == "system" and key not in json.dumps(event.after)

    token_issue(actor=world.users["wang"], user=world.users["wang"], label="王的脚本")
    out = io.StringIO()
    call_command("api_token", "list", stdout=out)
    assert "市局同步" in out.getvalue() and "王的脚本" in out.getvalue() and key not in out.getvalue()
    assert token.key_hash not in out.getvalue()
    out = io.StringIO()
    call_command("api_token", "list", "sz_caseworker", stdout=out)
    assert "市局同步" in out.getvalue() and "王的脚本" not in out.getvalue() and "共 1 个令牌" in out.getvalue()

    out = io.StringIO()
    call_command("api_token", "revoke", str(token.pk), stdout=out)
    assert "已撤销" in out.getvalue()
    token.refresh_from_db()
    assert token.revoked
    assert api_status(key, "/api/cases") == 401
    out = io.StringIO()
    call_command("api_token", "list", "sz_caseworker", stdout=out)
    assert "已撤销 revoked" in out.getvalue()


@pytest.mark.parametrize("args, wanted", [
    (["issue", "nobody", "--label", "x"], "no account 'nobody'"),
    (["issue", "wang", "--label", ""], "label: 请填写令牌名称"),
    (["issue", "wang", "--label", "长" * 101], "label: 令牌名称最多 100 个字符"),
    (["list", "nobody"], "no account 'nobody'"),
    (["revoke", "999999"], "no token with id 999999"),
    (["revoke", "abc"], "invalid int value"),
    (["issue", "wang"], "--label"),
    ([], "{issue,list,revoke}"),
])
def test_command_errors(world, args: list[str], wanted: str) -> None:
    before = state()
    with pytest.raises(CommandError) as exc:
        call_command("api_token", *args, stdout=io.StringIO())
    assert wanted in str(exc.value)
    assert state() == before


def test_command_revoking_twice_is_an_error(world) -> None:
    token, _ = token_issue(actor=None, user=world.users["wang"], label="一次")
    call_command("api_token", "revoke", str(token.pk), stdout=io.StringIO())
    before = state()
    with pytest.raises(CommandError) as exc:
        call_command("api_token", "revoke", str(token.pk), stdout=io.StringIO())
    assert "already revoked" in str(exc.value) and exc.value.returncode == 2
    assert state() == before
