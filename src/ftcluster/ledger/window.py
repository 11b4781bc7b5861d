"""`--since`: how far back the ledger looks, as a duration (24h, 90m, 7d, 2w) or a UTC time."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from ..errors import UsageError

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")


def since_time(text: str, now: datetime) -> datetime:
    """The start of the window `text` names, before `now`; UsageError for anything else."""
    found = DURATION.match(text.lower())
    if found:
        seconds = float(found.group(1)) * UNITS[found.group(2)]
        if seconds <= 0:
            raise UsageError(f"--since {text}: the window must be longer than 0")
        return now - timedelta(seconds=seconds)
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"--since {text!r} is neither a duration nor a time",
            hint="give a duration such as 24h, 90m, 7d or 2w, or a UTC time such as 2026-03-01T12:00",
        ) from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    if moment >= now:
        raise UsageError(f"--since {text}: that time is not in the past")
    return moment
