"""Argument handling of the stand-in `pulumi`: the subcommands the Automation API issues for ftcluster.

Anything else is logged as unsupported (see PULUMI_STANDIN_LOG) and fails loudly, so gaps show.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Any

from . import backend as state
from .backend import Project, StandinError, now_text

_STARTED = time.monotonic()
DEFAULT_VERSION = "3.210.0"  # > 3.205: the Automation API streams events over gRPC
VALUED = {
    "--stack",
    "-s",
    "--secrets-provider",
    "--page-size",
    "--page",
    "--client",
    "--exec-kind",
    "--event-log",
    "--target",
    "--parallel",
    "--message",
    "-m",
    "--color",
    "--config-file",
    "--server",
    "--exclude",
    "--replace",
    "--plan",
    "--save-plan",
    "--run-program",
}
REPEATED = {"target", "exclude", "replace"}
ALIASES = {"-s": "stack", "-m": "message"}
PROJECT_COMMANDS = {"stack", "config", "up", "preview", "destroy", "refresh", "cancel", "whoami"}


class Unsupported(Exception):
    pass


def parse(args: list[str]) -> tuple[list[str], dict[str, Any], list[str]]:
    """(positionals, flags, words after `--`). `--flag=value` and `--flag value` are both accepted."""
    positionals: list[str] = []
    flags: dict[str, Any] = {}
    rest: list[str] = []
    index = 0
    while index < len(args):
        word = args[index]
        if word == "--":
            rest = args[index + 1 :]
            break
        if word.startswith("-"):
            name, _, inline = word.partition("=")
            if name in VALUED:
                value = inline if inline else args[index + 1]
                index += 0 if inline else 1
                key = ALIASES.get(name, name.lstrip("-"))
                if key in REPEATED:
                    flags.setdefault(key, []).append(value)
                else:
                    flags[key] = value
            else:
                flags[name.lstrip("-")] = inline or True
        else:
            positionals.append(word)
        index += 1
    return positionals, flags, rest


def _log(environ: dict[str, str], argv: list[str], supported: bool) -> None:
    path = environ.get("PULUMI_STANDIN_LOG")
    if path:
        seconds = round(time.monotonic() - _STARTED, 3)
        with open(path, "a", encoding="utf-8") as log:
            # pkg/cmd/pulumi/pulumi.go: every command checks for a newer CLI (over the network) unless
            # PULUMI_SKIP_UPDATE_CHECK is true; recorded so tests can tell
            update_check = environ.get("PULUMI_SKIP_UPDATE_CHECK", "").lower() not in ("1", "true")
            log.write(
                json.dumps(
                    {
                        "argv": argv,
                        "cwd": os.getcwd(),
                        "supported": supported,
                        "seconds": seconds,
                        "update_check": update_check,
                    }
                )
                + "\n"
            )


def _pulumi_home(environ: dict[str, str]) -> Path:
    return Path(environ.get("PULUMI_HOME") or Path.home() / ".pulumi")


def _stack(flags: dict[str, Any]) -> str:
    if "stack" not in flags:
        raise StandinError("no stack selected; the pulumi stand-in needs --stack")
    return flags["stack"]


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=4))


def _unwrap(value: Any, show_secrets: bool) -> Any:
    if isinstance(value, dict):
        if value.get(state_sig_key) == secret_sig:
            return _unwrap(value.get("value"), show_secrets) if show_secrets else "[secret]"
        return {k: _unwrap(v, show_secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap(v, show_secrets) for v in value]
    return value


state_sig_key = "4dabf18193072939515e22adb298388d"
secret_sig = "1b47061264138c4ac30d75fd1eb44270"


def stack_command(project: Project, words: list[str], flags: dict[str, Any], environ: dict[str, str]) -> int:
    backend = project.backend
    verb = words[0] if words else "select"
    if verb == "select":
        backend.load(_stack(flags))
        _select(project, _stack(flags), environ)
    elif verb == "init":
        backend.create(words[1], state.new_secrets_state(environ))
        project.save_config(words[1], project.config(words[1]))
        if "no-select" not in flags:
            _select(project, words[1], environ)
    elif verb == "ls":
        summaries = []
        for name in backend.stacks():
            checkpoint = backend.load(name)
            deployed = not checkpoint["checkpoint"].get("no_deployment")
            summary: dict[str, Any] = {"name": name, "current": False}
            # pkg/cmd/pulumi/stack/stack_list.go formatStackSummariesJSON: lastUpdate and resourceCount come
            # from the checkpoint's latest deployment (pkg/backend/diy/stack.go diyStackSummary), absent until
            # the first update; updateInProgress only from backends that SupportsProgress (never diy ones),
            # which leave out lastUpdate while an update runs
            if deployed:
                summary["resourceCount"] = len(checkpoint["checkpoint"]["latest"]["resources"])
                locked = bool(backend.locks(name))
                if not backend.diy:
                    summary["updateInProgress"] = locked
                if backend.diy or not locked:
                    summary["lastUpdate"] = state.format_time(
                        state.parse_time(checkpoint["checkpoint"]["latest"]["manifest"]["time"])
                    )
            if not backend.diy:
                summary["url"] = f"{project.backend_url}/organization/{project.name}/{name}"
            summaries.append(summary)
        _print_json(summaries)
    elif verb == "rm":
        name = words[1]
        checkpoint = backend.load(name)
        # pkg/backend/diy/backend.go RemoveStack: under the stack lock, and only an empty stack (the root
        # stack resource alone counts as empty) unless --force
        backend.acquire_lock(name).unlink()
        resources = checkpoint["checkpoint"]["latest"]["resources"]
        if [r for r in resources if r["type"] != "pulumi:pulumi:Stack"] and "force" not in flags:
            raise StandinError(
                f"'{name}' still has resources; removal rejected. Possible actions:\n"
                f"- Make sure that '{name}' is the stack that you want to destroy\n"
                "- Run `pulumi destroy` to delete the resources, then run `pulumi stack rm`"
            )
        backend.remove(name)
        if "preserve-config" not in flags:
            project.config_file(name).unlink(missing_ok=True)
        print(f"Stack '{name}' has been removed!")
    elif verb == "output":
        checkpoint = backend.load(_stack(flags))
        if "show-secrets" in flags:
            state.verify_passphrase(checkpoint, environ)
        _print_json(_unwrap(state.stack_outputs(checkpoint), "show-secrets" in flags))
    elif verb == "history":
        history = backend.history(_stack(flags))
        if "page-size" in flags:  # pkg/backend/diy/state.go getHistory: pages of the newest-first list
            size, page = int(flags["page-size"]), max(int(flags.get("page", 1)), 1)
            history = history[(page - 1) * size : page * size]
        _print_json([_update_json(entry, "show-secrets" in flags) for entry in history])
    elif verb == "export":
        checkpoint = backend.load(_stack(flags))
        fresh = checkpoint["checkpoint"].get("no_deployment")
        _print_json({"version": 3, "deployment": None if fresh else checkpoint["checkpoint"]["latest"]})
    else:
        raise Unsupported()
    return 0


def _update_json(entry: dict[str, Any], show_secrets: bool) -> dict[str, Any]:
    """pkg/cmd/pulumi/stack/stack_history.go buildUpdatesJSON: times formatted, each config value as
    {value, secret} (a secret's value only with --show-secrets), endTime and resourceChanges once finished."""
    config = {}
    for key, value in entry["config"].items():
        secret = isinstance(value, dict) and "secure" in value
        shown: dict[str, Any] = {"secret": secret}
        if not secret:
            shown["value"] = value
        elif show_secrets:
            shown["value"] = value["secure"]  # the stand-in keeps secrets unencrypted
        config[key] = shown
    info: dict[str, Any] = {
        "version": entry["version"],
        "kind": entry["kind"],
        "startTime": state.format_time(entry["startTime"]),
        "message": entry["message"],
        "environment": entry["environment"],
        "config": config,
    }
    if entry.get("result"):
        info["result"] = entry["result"]
    if entry.get("result") != "in-progress":
        info["endTime"] = state.format_time(entry["endTime"])
        info["resourceChanges"] = entry.get("resourceChanges") or {}
    return info


def _select(project: Project, stack: str, environ: dict[str, str]) -> None:
    path = state.workspace_selection_file(_pulumi_home(environ), project.name, project.cwd)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"stack": stack}), encoding="utf-8")


def config_command(
    project: Project, words: list[str], flags: dict[str, Any], rest: list[str], raw: list[str], environ: dict[str, str]
) -> int:
    stack = _stack(flags)
    project.backend.load(stack)
    config = project.config(stack)
    verb = words[0] if words else "ls"
    if verb == "set":
        config[project.qualify(words[1])] = rest[0] if rest else words[2]
    elif verb == "set-all":
        pairs = [raw[i + 1] for i, word in enumerate(raw) if word in ("--plaintext", "--secret")]
        for pair in pairs:
            key, _, value = pair.partition("=")
            config[project.qualify(key)] = value
    elif verb == "get":
        key = project.qualify(words[1])
        if key not in config:
            raise StandinError(f"configuration key '{key}' not found for stack '{stack}'")
        _print_json({"value": config[key], "secret": False})
        return 0
    elif verb in ("rm", "rm-all"):
        for key in words[1:]:
            config.pop(project.qualify(key), None)
    elif verb == "ls":
        _print_json({key: {"value": value, "secret": False} for key, value in config.items()})
        return 0
    elif verb == "refresh":
        history = project.backend.history(stack)
        if not history:
            raise StandinError(f"no previous deployment found for stack '{stack}'")
        # pkg/backend/diy/backend.go GetLatestConfiguration: the config of the newest update, whatever it was
        config = {key: value for key, value in history[0]["config"].items() if isinstance(value, str)}
    else:
        raise Unsupported()
    project.save_config(stack, config)
    return 0


def _installed(folder: Path) -> bool:
    """HasPlugin (sdk/go/common/workspace/plugins.go): os.Stat follows links, and no `.partial` file."""
    return folder.is_dir() and not folder.with_name(folder.name + ".partial").exists()


def plugin_command(words: list[str], environ: dict[str, str]) -> int:
    plugins = _pulumi_home(environ) / "plugins"
    if words[:1] == ["install"] and len(words) == 4:
        kind, name, version = words[1], words[2], words[3].lstrip("v")
        folder = plugins / f"{kind}-{name}-v{version}"
        if _installed(folder):  # plugin_install.go: already there, nothing to download
            return 0
        _unpack(folder, f"pulumi-{kind}-{name}", environ)
        print(f"[{kind} plugin {name}-{version}] installing")
        return 0
    if words[:1] == ["ls"]:
        from .deploy import installed_plugins

        found = []
        for entry in sorted(installed_plugins(plugins)):
            kind, name, version = entry.split("-", 2)
            found.append(
                {
                    "name": name,
                    "kind": kind,
                    "version": version.lstrip("v"),
                    "size": 1,
                    "installTime": now_text(),
                    "lastUsedTime": now_text(),
                }
            )
        _print_json(found)
        return 0
    raise Unsupported()


def _unpack(folder: Path, binary_name: str, environ: dict[str, str]) -> None:
    """pkg/pluginstorage/download.go UnpackContents: under a file lock `<dir>.lock` (created with MkdirAll
    of the plugins folder, which follows a symlinked folder), mark `<dir>.partial`, extract straight into
    the final folder, drop the marker on success."""
    import fcntl

    folder.parent.mkdir(parents=True, exist_ok=True)
    partial = folder.with_name(folder.name + ".partial")
    with open(folder.with_name(folder.name + ".lock"), "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed(folder):
            return  # another install finished while we waited for the lock
        partial.write_text("")
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(mode=0o700)
        binary = folder / binary_name
        binary.write_text("#!/bin/sh\necho 'pulumi stand-in: fake provider plugin' >&2\nexit 1\n")
        binary.chmod(0o755)
        downloads = environ.get("PULUMI_STANDIN_DOWNLOADS")
        if downloads:  # lets tests count real "downloads"
            with open(downloads, "a", encoding="utf-8") as log:
                log.write(f"{folder.name} -> {folder}\n")
        partial.unlink()


def main(argv: list[str]) -> int:
    # a Go program without a signal handler ends on SIGINT, killed by the signal (os/signal: "A SIGHUP,
    # SIGINT, or SIGTERM signal causes the program to exit"): the CLI handles Ctrl-C only inside a run
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    environ = dict(os.environ)
    args = [a for a in argv if a != "--non-interactive"]
    positionals, flags, rest = parse(args)
    try:
        code = _dispatch(args, positionals, flags, rest, environ)
    except Unsupported:
        _log(environ, argv, supported=False)
        print(f"pulumi stand-in: unsupported invocation: pulumi {' '.join(argv)}", file=sys.stderr)
        return 2
    except StandinError as err:
        _log(environ, argv, supported=True)
        print(f"error: {err}", file=sys.stderr)
        return 255
    _log(environ, argv, supported=True)
    return code


def _dispatch(
    args: list[str], positionals: list[str], flags: dict[str, Any], rest: list[str], environ: dict[str, str]
) -> int:
    command = positionals[0] if positionals else ""
    if command == "version":
        print("v" + environ.get("PULUMI_STANDIN_VERSION", DEFAULT_VERSION))
        return 0
    if command == "plugin":
        return plugin_command(positionals[1:], environ)
    if command not in PROJECT_COMMANDS:
        raise Unsupported()
    project = Project(Path.cwd(), environ)
    if command == "stack":
        return stack_command(project, positionals[1:], flags, environ)
    if command == "config":
        return config_command(project, positionals[1:], flags, rest, args, environ)
    if command in ("up", "preview", "destroy", "refresh"):
        from .operations import Interrupts, run

        return run(command, project, _stack(flags), flags, environ, _pulumi_home(environ), Interrupts())
    if command == "cancel":
        stack = _stack(flags)
        project.backend.load(stack)
        for lock in project.backend.locks(stack):
            lock.unlink()
        print(f"The currently running update for '{stack}' has been canceled!")
        return 0
    if command == "whoami":
        _print_json({"user": "standin", "url": project.backend_url, "organizations": []})
        return 0
    raise Unsupported()
