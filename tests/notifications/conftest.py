"""A real SMTP server for the delivery tests (aiosmtpd, on 127.0.0.1 at a free port), and the Zhejiang case the
notification tests follow from its filing."""

from __future__ import annotations

import datetime as dt
import email
import socket
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.factories import Api, step


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Mailbox:
    """What the SMTP server received; `refuse` makes it answer every recipient with a 4xx (try again later)."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.envelopes: list[Any] = []
        self.refuse = False

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.refuse:
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        self.received.append(email.message_from_bytes(envelope.original_content or envelope.content,
                                                      policy=policy.default))
        return "250 Message accepted for delivery"


class SmtpServer:
    """An SMTP server on 127.0.0.1 at `port`, which the settings point at; `start()` and `stop()` bring it up
    and down (down: nothing listens there, the connection is refused)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.mailbox = Mailbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(settings: Any) -> Any:
    """The SMTP server, down until the test starts it; the settings send through it."""
    server = SmtpServer(free_port())
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", server.port, 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "容错平台 <noreply@rongcuo.test>"
    settings.SITE_URL = "https://rongcuo.example.cn"
    yield server
    server.stop()


@pytest.fixture
def addresses(world: Any) -> dict[str, str]:
    """E-mail addresses for the demo accounts (the demo gives them none), but for the second Zhejiang caseworker:
    the mails counted are those of one caseworker."""
    out = {}
    for name, user in world.users.items():
        if name == "zj_caseworker2":
            continue
        user.email = f"{name}@example.cn"
        user.save(update_fields=["email"])
        out[name] = user.email
    return out


CLEAN = {"major_risk_unreported": False, "violated_prohibitions": False, "research_misconduct": False,
         "research_dishonesty": False}
MATERIALS = ["application_form", "situation_statement", "host_unit_certificate", "audit_report",
             "performance_materials"]


def zj_filed(world: Any, as_user: Any, today: Any) -> int:
    """chen files the Zhejiang application with its five materials; the case's id."""
    today.set(dt.date(2025, 9, 1))
    chen = as_user("chen")
    code, case = chen.post("/cases", {"project_id": world.projects["zj_material"].pk, "relevant_date": "2025-09-01",
                                      "failure_explanation": "中试阶段技术路线选择失误，无法达到合同指标。"})
    assert code == 201, case
    for kind in MATERIALS:
        assert chen.upload(case["id"], kind, name=f"{kind}.pdf")[0] == 201
    return int(case["id"])


def zj_to_panel(world: Any, as_user: Any, today: Any, cid: int, *, dishonest: bool = False) -> Api:
    """The host unit forwards it; the caseworker records the investigation and refers it to the expert panel."""
    zju, zj = as_user("zju_reviewer"), as_user("zj_caseworker")
    assert zju.post(f"/cases/{cid}/facts", {"facts": {"zj_termination_application": True}})[0] == 200
    assert zju.post(f"/cases/{cid}/transitions", step("forward_by_host_unit"))[0] == 200
    facts = {"zj_provincial_fiscal_funds": True, "zj_researcher_in_province": True, **CLEAN}
    if dishonest:
        facts["research_dishonesty"] = True
    assert zj.post(f"/cases/{cid}/facts", {"role": "investigation_finding", "facts": facts})[0] == 200
    assert zj.post(f"/cases/{cid}/facts", {"role": "system_computed",
                                           "facts": {"zj_basic_public_welfare_programme": False}})[0] == 200
    assert zj.post(f"/cases/{cid}/transitions", step("refer_to_panel"))[0] == 200
    return zj
