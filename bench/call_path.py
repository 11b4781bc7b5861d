"""The path of `ftcluster up SPEC --yes` through ftcluster's own modules: how far it wanders.

    python bench/call_path.py [SPEC] [--show]

Runs `up` in this process against the stand-in `pulumi` (tests/standin) and a moto_server it starts
(the stand-in's AWS provider creates the resources there, so preflight and the rollout wait run too),
with a profiler that sees every call from one ftcluster module into another on the command's thread
(the inline program runs on the Automation API's gRPC thread and is not counted). The default spec is
tests/engine/engine_helpers.py's TINY (a VPC of its own, one task). It reports:

- modules: how many of ftcluster's modules the command enters;
- climbs: calls from a module into one of a higher layer (layers as tests/test_layers.py ranks them),
  e.g. the engine calling back into cli/; of those, how many go through callbacks the higher layer handed
  down (a lambda, the Hooks the command line gives the engine and the context managers they return).
  tests/test_layers.py forbids importing upward, so a climb can only be such a callback;
- returns: calls into a module the path had already entered and left before; of those, how many are
  methods of an object the stages share (a Session's properties and caches, a dataclass's methods), and
  how many are calls of a module's functions (most into helpers every layer uses: aws, pulumi_private);
  and the returns between the engine's own modules, the stage ping-pong issue 19 counted.

Issue 19 counted 27 modules, 15 climbs and 50 returns by following the spec argument by hand; this
script counts every call, so its numbers are larger, and it lists the pairs of modules that call each
other most (the ping-pong to remove).

--show prints the sequence of calls between modules.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "engine"), str(ROOT / "tests" / "standin")]

from conftest import E2E_MOTO_SETTINGS, running_moto_server, warm_up  # noqa: E402
from engine_helpers import TINY  # noqa: E402
from standin_harness import process_env, standin_env  # noqa: E402
from test_layers import RANKS  # noqa: E402


def rank(module: str) -> float:
    parts = module.split(".")
    return RANKS.get(parts[1] if len(parts) > 1 else "ftcluster", 0)


class CallPath:
    """Records (caller module, callee module) for each call that crosses from one ftcluster module into another."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.kinds: list[str] = []  # per call: "callback", "method" or "function"

    def __call__(self, frame: FrameType, event: str, arg: Any) -> None:
        if event != "call" or frame.f_code.co_name == "<module>":
            return
        callee = frame.f_globals.get("__name__", "")
        if not callee.startswith("ftcluster"):
            return
        caller_frame = frame.f_back
        while caller_frame is not None and not caller_frame.f_globals.get("__name__", "").startswith("ftcluster"):
            caller_frame = caller_frame.f_back
        caller = caller_frame.f_globals["__name__"] if caller_frame is not None else "(entry)"
        if caller != callee:
            self.calls.append((caller, callee))
            self.kinds.append(kind_of(frame))

    def measures(self) -> dict[str, int]:
        entered: set[str] = set()
        found = Counter[str]()
        for (caller, callee), kind in zip(self.calls, self.kinds, strict=True):
            if caller != "(entry)" and rank(callee) > rank(caller):
                found["climbs"] += 1
                found["climbs into callbacks"] += kind == "callback"
            if callee in entered:
                found["returns"] += 1
                found["returns into methods"] += kind == "method"
                found["returns into functions"] += kind == "function"
                engine = caller.startswith("ftcluster.engine") and callee.startswith("ftcluster.engine")
                found["returns between engine modules"] += kind == "function" and engine
            entered.update((caller, callee))
        entered.discard("(entry)")
        return {"modules": len(entered), **found}


def kind_of(frame: FrameType) -> str:
    """A callback (a lambda, or anything of cli/: the hooks and what they return), a method of an object, or a
    module function."""
    code = frame.f_code
    if code.co_name == "<lambda>" or frame.f_globals.get("__name__", "").startswith("ftcluster.cli"):
        return "callback"
    return (
        "method" if "." in code.co_qualname.replace("<locals>.", "") and "self" in code.co_varnames[:1] else "function"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("spec", nargs="?", help="a spec in eu-west-1 (default: the engine tests' TINY cluster)")
    parser.add_argument("--show", action="store_true", help="print every call between modules")
    options = parser.parse_args()

    from typer.testing import CliRunner

    from ftcluster.cli import app

    with tempfile.TemporaryDirectory() as folder, running_moto_server(Path(folder), E2E_MOTO_SETTINGS) as url:
        warm_up(url, "eu-west-1")
        spec = options.spec or str(Path(folder) / "tiny.yaml")
        if not options.spec:
            Path(spec).write_text(TINY)
        env = process_env(standin_env(Path(folder), url, emulate_aws=True))
        env["AWS_MAX_ATTEMPTS"] = "2"  # moto answers APIs it lacks with retried 500s (tests/e2e)
        os.environ.clear()
        os.environ.update(env)
        path = CallPath()
        sys.setprofile(path)
        try:
            result = CliRunner().invoke(app, ["up", spec, "--yes", "--quiet"], catch_exceptions=False)
        finally:
            sys.setprofile(None)
    if result.exit_code != 0:
        sys.exit(f"up failed ({result.exit_code}):\n{result.output}")
    if options.show:
        for (caller, callee), kind in zip(path.calls, path.kinds, strict=True):
            print(f"{caller} -> {callee} ({kind})")
    measures = path.measures()
    print(f"`ftcluster up {Path(spec).name} --yes` through ftcluster's modules:")
    print(f"  {measures['modules']:4d} modules entered")
    print(
        f"  {measures['climbs']:4d} climbs back to a higher layer ({measures['climbs into callbacks']} into callbacks)"
    )
    print(
        f"  {measures['returns']:4d} returns to a module already left ({measures['returns into methods']} into "
        f"methods of shared objects, {measures['returns into functions']} into module functions)"
    )
    print(f"  {measures['returns between engine modules']:4d} returns into a function of another engine module")
    print("most frequent calls between two modules:")
    for (caller, callee), count in Counter(path.calls).most_common(8):
        print(f"  {count:4d}  {caller.removeprefix('ftcluster.')} -> {callee.removeprefix('ftcluster.')}")


if __name__ == "__main__":
    main()
