"""The generated modules of Pulumi's gRPC protocol (pulumi/runtime/proto), without the Python SDK around them.

The real CLI is a Go program and runs no Python SDK. Importing `pulumi.runtime.proto` the usual way first runs
`pulumi/__init__.py` and `pulumi/runtime/__init__.py`, the whole SDK with its Automation API: about 0.3 s of
CPU in every preview, update, destroy and refresh the stand-in runs. The generated modules need only protobuf
and grpc, so their two parent packages are registered bare (their folders as search path, nothing run) unless
something imported them already.
"""

from __future__ import annotations

import importlib.util
import sys
import types

for _name in ("pulumi", "pulumi.runtime"):
    if _name not in sys.modules:
        _spec = importlib.util.find_spec(_name)  # runs nothing: a parent found is the bare one above
        assert _spec is not None and _spec.submodule_search_locations is not None, _name
        _package = types.ModuleType(_name)
        _package.__path__ = list(_spec.submodule_search_locations)
        sys.modules[_name] = _package

from pulumi.runtime.proto import (  # noqa: E402
    engine_pb2,
    engine_pb2_grpc,
    events_pb2,
    events_pb2_grpc,
    language_pb2,
    language_pb2_grpc,
    resource_pb2,
    resource_pb2_grpc,
)

__all__ = [
    "engine_pb2",
    "engine_pb2_grpc",
    "events_pb2",
    "events_pb2_grpc",
    "language_pb2",
    "language_pb2_grpc",
    "resource_pb2",
    "resource_pb2_grpc",
]
