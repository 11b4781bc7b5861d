"""Engine events in Pulumi's event-log JSON, sent the way the real CLI does.

`--event-log tcp://HOST:PORT` (CLIs > 3.205): a client-streaming `Events.StreamEvents` call to the
Automation API's gRPC server. `--event-log PATH` (older CLIs): one JSON object per line, appended.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from typing import Any

_END = object()


class EventSink:
    def __init__(self, target: str | None, drop: set[str] | None = None) -> None:
        self._drop = drop or set()  # payload kinds never sent (PULUMI_STANDIN_DROP_EVENTS): a lossy stream
        self._sequence = 0
        self._lock = threading.Lock()
        self._file = None
        self._queue: queue.Queue | None = None
        self._thread: threading.Thread | None = None
        if not target:
            return
        if target.startswith("tcp://"):
            self._queue = queue.Queue()
            self._thread = threading.Thread(target=self._stream, args=(target[len("tcp://") :],), daemon=True)
            self._thread.start()
        else:
            self._file = open(target, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()

    def _stream(self, address: str) -> None:
        import grpc

        from .protos import events_pb2, events_pb2_grpc

        assert self._queue is not None

        def requests():
            while True:
                item = self._queue.get()
                if item is _END:
                    return
                yield events_pb2.EventRequest(event=item)

        with grpc.insecure_channel(address) as channel:
            try:
                events_pb2_grpc.EventsStub(channel).StreamEvents(requests())
            except grpc.RpcError:
                pass  # the receiver went away; the CLI carries on like the real one

    def emit(self, **payload: Any) -> None:
        if self._drop & set(payload):
            return
        with self._lock:
            self._sequence += 1
            text = json.dumps({"sequence": self._sequence, "timestamp": int(time.time()), **payload})
            if self._queue is not None:
                self._queue.put(text)
            elif self._file is not None:
                self._file.write(text + "\n")
                self._file.flush()

    def close(self) -> None:
        if self._queue is not None and self._thread is not None:
            self._queue.put(_END)
            self._thread.join(timeout=10)
        if self._file is not None:
            self._file.close()

    # --- event shapes (field names as in pulumi/sdk/go/common/apitype/events.go) ---------------

    def prelude(self, config: dict[str, str]) -> None:
        self.emit(preludeEvent={"config": config})

    def diagnostic(self, message: str, severity: str, urn: str = "") -> None:
        prefix = {"error": "error: ", "warning": "warning: "}.get(severity, "")
        self.emit(
            diagnosticEvent={
                "urn": urn,
                "prefix": prefix,
                "message": message + "\n",
                "color": "never",
                "severity": severity,
                "ephemeral": False,
            }
        )

    def resource_pre(self, metadata: dict[str, Any], planning: bool) -> None:
        self.emit(resourcePreEvent={"metadata": metadata, "planning": planning})

    def resource_outputs(self, metadata: dict[str, Any], planning: bool) -> None:
        self.emit(resOutputsEvent={"metadata": metadata, "planning": planning})

    def resource_failed(self, metadata: dict[str, Any]) -> None:
        self.emit(resOpFailedEvent={"metadata": metadata, "status": 1, "steps": 1})

    def summary(self, changes: dict[str, int], seconds: int) -> None:
        self.emit(
            summaryEvent={
                "maybeCorrupt": False,
                "durationSeconds": seconds,
                "resourceChanges": changes,
                "PolicyPacks": {},
            }
        )

    def cancel(self) -> None:
        self.emit(cancelEvent={})


def _omit_false(fields: dict[str, Any]) -> dict[str, Any]:
    """Go's `omitempty`: a false flag is not sent at all (the Automation API then reads None)."""
    return {key: value for key, value in fields.items() if value}


def state_metadata(resource: dict[str, Any] | None) -> dict[str, Any] | None:
    """sdk/go/common/apitype/events.go StepEventStateMetadata: custom, delete, protect and retainOnDelete are
    `omitempty`."""
    if resource is None:
        return None
    return {
        "type": resource["type"],
        "urn": resource["urn"],
        "id": resource.get("id", ""),
        "parent": resource.get("parent", ""),
        "provider": resource.get("provider", ""),
        **_omit_false(
            {
                "custom": bool(resource.get("custom")),
                "delete": bool(resource.get("delete")),
                "protect": bool(resource.get("protect")),
                "retainOnDelete": bool(resource.get("retainOnDelete")),
            }
        ),
        "inputs": resource.get("inputs", {}),
        "outputs": resource.get("outputs", {}),
    }


def step_metadata(
    op: str,
    urn: str,
    type_: str,
    old: dict | None,
    new: dict | None,
    diffs: list[str] | None = None,
    keys: list[str] | None = None,
    logical: bool = True,
) -> dict[str, Any]:
    """`keys` are the properties that force a replacement (pkg/engine/events.go StepEventMetadata); `logical`
    is `omitempty` (sdk/go/common/apitype/events.go), so the halves of a replacement do not send it."""
    replacing = set(keys or [])
    return {
        "op": op,
        "urn": urn,
        "type": type_,
        "provider": (new or old or {}).get("provider", ""),
        "old": state_metadata(old),
        "new": state_metadata(new),
        "keys": keys or [],
        "diffs": diffs or [],
        "detailedDiff": {
            key: {"diffKind": "update-replace" if key in replacing else "update", "inputDiff": True}
            for key in diffs or []
        },
        **_omit_false({"logical": logical}),
    }
