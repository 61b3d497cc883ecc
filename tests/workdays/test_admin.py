"""The admin: an administrator's edit is recorded as such; loaded years are read-only."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from rongcuo.workdays.models import CalendarDay, Origin
from rongcuo.workdays.services import calendar_seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_zh() -> Client:
    user = get_user_model().objects.create_superuser("carol", "carol@example.org", "pw-not-secret-123")
    client = Client()
    client.force_login(user)
    return client


def test_edit_a_day_through_the_admin(admin_client_zh: Client) -> None:
    calendar_seed(years=[2025])
    url = "/admin/workdays/calendarday/2025-10-11/change/"
    assert admin_client_zh.get(url).status_code == 200
    response = admin_client_zh.post(url, {"is_workday": "", "note": "更正 correction"})
    assert response.status_code == 302, response.content.decode()[:2000]
    day = CalendarDay.objects.get(date=date(2025, 10, 11))
    assert not day.is_workday and day.origin == Origin.ADMIN
    assert day.source == "administrator" and day.changed_by == "carol" and day.note == "更正 correction"


def test_note_is_required_and_lists_render(admin_client_zh: Client) -> None:
    calendar_seed(years=[2025])
    url = "/admin/workdays/calendarday/2025-10-11/change/"
    response = admin_client_zh.post(url, {"is_workday": "", "note": ""})
    assert response.status_code == 200  # form redisplayed with the error
    assert CalendarDay.objects.get(date=date(2025, 10, 11)).is_workday
    assert admin_client_zh.get("/admin/workdays/calendarday/").status_code == 200
    assert admin_client_zh.get("/admin/workdays/calendaryear/").status_code == 200
    assert admin_client_zh.get("/admin/workdays/calendaryear/add/").status_code == 403


def test_add_a_day(admin_client_zh: Client) -> None:
    response = admin_client_zh.post(
        "/admin/workdays/calendarday/add/", {"date": "2027-01-01", "is_workday": "", "note": "元旦（预计）"}
    )
    assert response.status_code == 302
    assert CalendarDay.objects.get(date=date(2027, 1, 1)).changed_by == "carol"
