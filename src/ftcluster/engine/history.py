"""What a stack's update history says reached AWS: the config of its last successful update.

ftcluster records the spec and the `scale` values in stack config before each update, so the update
carries them. But `pulumi config set-all` only rewrites the local Pulumi.<stack>.yaml
(pkg/cmd/pulumi/stack/io.go) and `up` takes the stack lock later (pkg/backend/diy/backend.go Update,
b.Lock): an `up` refused by the lock, a secrets error or an early Ctrl-C leaves its spec in that file
without applying it. The backend's history keeps the config each update ran with (backend.UpdateInfo
in pkg/backend/updates.go, written by pkg/backend/diy/backend.go apply after every run, failed or not,
and never for a run refused before it; `pulumi stack history --json`, pkg/cmd/pulumi/stack/stack_history.go).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pulumi.automation import Stack

PAGE_SIZE = 20


@dataclass(frozen=True)
class AppliedConfig:
    config: dict[str, str]  # the config of the newest successful update; {} when none succeeded
    failed_since: dict[str, str] | None = None  # the config of the newest update after it, when that one failed
    updated: bool = False  # the stack has had an update at all (any kind, any result)


def read_applied(stack: Stack) -> AppliedConfig:
    """From `pulumi stack history`, newest first, a page at a time until a successful update turns up."""
    failed_since: dict[str, str] | None = None
    updated = False
    page = 1
    while True:
        entries = stack.history(page_size=PAGE_SIZE, page=page, show_secrets=False)
        updated = updated or bool(entries)
        for entry in entries:
            if entry.kind != "update":
                continue  # refresh and destroy runs carry whatever the config file held then
            config = {key: str(value.value) for key, value in (entry.config or {}).items()}
            if entry.result == "succeeded":
                return AppliedConfig(config, failed_since, True)
            if entry.result == "failed" and failed_since is None:
                failed_since = config
        if len(entries) < PAGE_SIZE:
            return AppliedConfig({}, failed_since, updated)
        page += 1
