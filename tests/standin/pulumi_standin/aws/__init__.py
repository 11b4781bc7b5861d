"""The stand-in's AWS provider against an AWS emulator (moto_server): when a provider's endpoints point at
one, each create, update and delete step and each lookup is carried out there through boto3, from the
inputs the program declared, so botocore's API model checks every call and the outputs are the
emulator's real ids and ARNs. Without an endpoint (or with PULUMI_STANDIN_AWS=canned) the canned
answers of ../provider.py stand in.

Adding a resource type: write its create/delete (and update) functions in the module of its AWS
service, following terraform-provider-aws internal/service/<svc>/<resource>.go, and add one
`resource(...)` line to that module's RESOURCES table (README.md, "AWS emulator").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import (
    appautoscaling,
    autoscaling,
    ec2_fleet,
    ec2_network,
    ec2_security,
    ecs,
    events,
    iam,
    logs,
    s3,
    servicediscovery,
    sfn,
    ssm,
)
from .core import COMMON_INPUTS, Account, AwsFailure, Call, NotEmulated, Props, Resource, error_text
from .invokes import INVOKES

RESOURCES: dict[str, Resource] = {
    **ec2_network.RESOURCES,
    **ec2_security.RESOURCES,
    **ec2_fleet.RESOURCES,
    **ecs.RESOURCES,
    **iam.RESOURCES,
    **s3.RESOURCES,
    **logs.RESOURCES,
    **events.RESOURCES,
    **autoscaling.RESOURCES,
    **appautoscaling.RESOURCES,
    **servicediscovery.RESOURCES,
    **ssm.RESOURCES,
    **sfn.RESOURCES,
}
AUTONAMED = ("name", "bucket")  # what the provider's Check fills in when the program gives no name

__all__ = ["RESOURCES", "AwsFailure", "Emulator"]


def _label(type_: str) -> str:
    """`aws:ecs/service:Service` -> `ECS Service`, as the provider's messages name a resource kind."""
    parts = type_.split(":")
    module = parts[1].split("/")[0] if len(parts) == 3 else type_
    return f"{module.upper()} {parts[-1]}"


class Emulator:
    """Which providers point at an emulator, and the create/update/delete/invoke calls made there."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = dict(environ)
        self.canned = environ.get("PULUMI_STANDIN_AWS", "") == "canned"
        self.accounts: dict[str, Account] = {}  # provider reference -> its account

    def configure(self, reference: str, inputs: Mapping[str, Any], default_region: str) -> None:
        """A `pulumi:providers:aws` resource was registered (or a default provider made)."""
        if not self.canned:
            self.accounts[reference] = Account(inputs, default_region, self.environ)

    def account(self, reference: str, type_: str) -> Account | None:
        """The account whose emulator carries out this resource's steps; None: canned answers."""
        account = self.accounts.get(reference)
        if account is None or not account.emulated or not type_.startswith("aws:") or type_ not in RESOURCES:
            return None
        return account

    def _call(self, account: Account, type_: str, name: str, inputs: Props) -> Call:
        own = inputs.get("tags")
        tags = {**account.default_tags, **own} if isinstance(own, dict) else {} if own else dict(account.default_tags)
        return Call(account, type_, name, tags)

    def _run(self, verb: str, type_: str, ident: str, step: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return step()
        except AwsFailure:
            raise
        except NotEmulated as err:
            raise AwsFailure(
                f"{verb} {_label(type_)} ({ident}): the pulumi stand-in cannot do this in the emulator: {err}"
            ) from None
        except (ClientError, BotoCoreError) as err:
            raise AwsFailure(f"{verb} {_label(type_)} ({ident}): {error_text(err)}") from None
        except (KeyError, TypeError, ValueError) as err:
            raise AwsFailure(
                f"{verb} {_label(type_)} ({ident}): the stand-in's mapping of {type_} failed: "
                f"{type(err).__name__}: {err} (pulumi_standin/aws, {RESOURCES[type_].source})"
            ) from None

    def create(self, account: Account, type_: str, name: str, inputs: Props, canned: Props) -> tuple[str, Props]:
        """(id, outputs) of a new resource: the inputs (auto-names filled in), what AWS computed, tagsAll."""
        mapping = RESOURCES[type_]
        props = dict(inputs)
        for key in AUTONAMED:
            if key in mapping.inputs and not props.get(key) and canned.get(key):
                props[key] = canned[key]
        ident = str(props.get("name") or props.get("bucket") or name)
        unknown = sorted(k for k, v in props.items() if v is not None and k not in mapping.inputs | COMMON_INPUTS)
        if unknown:
            raise AwsFailure(
                f"creating {_label(type_)} ({ident}): the stand-in's mapping of {type_} does not pass on "
                f"{', '.join(unknown)}; add them in pulumi_standin/aws ({mapping.source})"
            )
        call = self._call(account, type_, name, props)
        resource_id, computed = self._run("creating", type_, ident, lambda: mapping.create(call, props))
        outputs = {**canned, **props, **{k: v for k, v in computed.items() if v is not None}, "id": resource_id}
        if isinstance(props.get("tags"), dict) or call.tags:
            outputs["tagsAll"] = call.tags
        return resource_id, outputs

    def update(
        self, account: Account, type_: str, name: str, resource_id: str, old: Props, inputs: Props, changed: list[str]
    ) -> Props:
        """The outputs after an in-place update of the keys in `changed`."""
        mapping = RESOURCES[type_]
        ident = str(old.get("name") or old.get("bucket") or name)
        props = {**{k: old[k] for k in AUTONAMED if k in old and k in mapping.inputs}, **inputs}
        unsupported = sorted(set(changed) - mapping.updatable)
        if unsupported or mapping.update is None:
            raise AwsFailure(
                f"updating {_label(type_)} ({ident}): the stand-in's mapping of {type_} cannot change "
                f"{', '.join(unsupported or changed)} in place; add it in pulumi_standin/aws ({mapping.source})"
            )
        update = mapping.update
        call = self._call(account, type_, name, props)
        computed = self._run("updating", type_, ident, lambda: update(call, resource_id, old, props, set(changed)))
        outputs = {**old, **props, **{k: v for k, v in computed.items() if v is not None}}
        if isinstance(props.get("tags"), dict) or call.tags:
            outputs["tagsAll"] = call.tags
        return outputs

    def delete(self, account: Account, type_: str, name: str, resource_id: str, outputs: Props) -> None:
        mapping = RESOURCES[type_]
        ident = str(outputs.get("name") or outputs.get("bucket") or name)
        call = self._call(account, type_, name, outputs)
        self._run("deleting", type_, ident, lambda: mapping.delete(call, resource_id, outputs))

    def invoke(self, reference: str, token: str, args: Props) -> Props | None:
        """A lookup answered by the emulator; None when this one needs no AWS (or no emulator is in use)."""
        account = self.accounts.get(reference)
        if account is None or not account.emulated or token not in INVOKES:
            return None
        return self._run("reading", token, token.rsplit(":", 1)[-1], lambda: INVOKES[token](account, args))
