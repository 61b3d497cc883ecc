"""Every change to funds and transfer records goes through one of these functions: one transaction, one audit
event. Names follow `<entity>_<action>`; the acting user is an explicit keyword argument. Errors are
`rongcuo.common.errors.ServiceError`s (code, message in Chinese and English, field); a failed call leaves stored
data as it was.

One module per record: `funds`, `investments` (with valuations, exits and the manager's exemption), `transfers`;
`inputs` holds the checks they share. Callers use the names below from the package. `today` is the one clock of
the package: every module reads it from here, so a test sets the date for all of them by patching
`rongcuo.funds.services.today`.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from rongcuo.funds.services.funds import FUND_DOMAIN, fund_check, fund_create, fund_set_facts, fund_set_term_end
from rongcuo.funds.services.investments import (
    exit_create,
    investment_create,
    investment_decide_exemption,
    investment_set_facts,
    valuation_create,
)
from rongcuo.funds.services.transfers import (
    TRANSFER_DOMAIN,
    TRANSFER_RECORD_FACTS,
    transfer_create,
    transfer_fact_input,
    transfer_pack,
    transfer_set_facts,
    transfer_set_later_value,
)


def today() -> dt.date:
    """The date the services take as today: no record may be dated after it."""
    return timezone.localdate()


__all__ = [
    "FUND_DOMAIN",
    "TRANSFER_DOMAIN",
    "TRANSFER_RECORD_FACTS",
    "exit_create",
    "fund_check",
    "fund_create",
    "fund_set_facts",
    "fund_set_term_end",
    "investment_create",
    "investment_decide_exemption",
    "investment_set_facts",
    "today",
    "transfer_create",
    "transfer_fact_input",
    "transfer_pack",
    "transfer_set_facts",
    "transfer_set_later_value",
    "valuation_create",
]
