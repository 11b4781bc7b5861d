"""Cloud Map in the emulator: private DNS namespaces (internal/service/servicediscovery/private_dns_namespace.go)
and services (internal/service/servicediscovery/service.go)."""

from __future__ import annotations

import time
from typing import Any

from .core import AwsFailure, Call, Props, pick, resource, tag_list

OPERATION_POLLS = 100  # Cloud Map namespace operations are asynchronous (the provider waits for them)


def _tags(call: Call) -> dict[str, Any]:
    return {"Tags": tag_list(call.tags)} if call.tags else {}


def _wait_for_operation(call: Call, operation_id: str) -> dict[str, Any]:
    """waitOperationSucceeded: poll GetOperation until SUCCESS (FAIL is an error)."""
    client = call.client("servicediscovery")
    for _ in range(OPERATION_POLLS):
        operation = client.get_operation(OperationId=operation_id)["Operation"]
        if operation["Status"] == "SUCCESS":
            return operation
        if operation["Status"] == "FAIL":
            raise AwsFailure(f"Cloud Map operation {operation_id} failed: {operation.get('ErrorMessage')}")
        time.sleep(0.05)
    raise AwsFailure(f"Cloud Map operation {operation_id} did not finish")


def create_namespace(call: Call, props: Props) -> tuple[str, Props]:
    client = call.client("servicediscovery")
    args: dict[str, Any] = {"Name": props["name"], "Vpc": props["vpc"], "CreatorRequestId": call.name, **_tags(call)}
    if props.get("description"):
        args["Description"] = props["description"]
    operation = _wait_for_operation(call, client.create_private_dns_namespace(**args)["OperationId"])
    namespace_id = operation["Targets"]["NAMESPACE"]
    namespace = client.get_namespace(Id=namespace_id)["Namespace"]
    zone = ((namespace.get("Properties") or {}).get("DnsProperties") or {}).get("HostedZoneId")
    return namespace_id, {"arn": namespace["Arn"], "hostedZone": zone}


def update_namespace(call: Call, namespace_id: str, old: Props, new: Props, changed: set[str]) -> Props:
    if "description" in changed:
        client = call.client("servicediscovery")
        answer = client.update_private_dns_namespace(
            Id=namespace_id, Namespace={"Description": new.get("description") or ""}
        )
        _wait_for_operation(call, answer["OperationId"])
    return {}


def delete_namespace(call: Call, namespace_id: str, props: Props) -> None:
    answer = call.client("servicediscovery").delete_namespace(Id=namespace_id)
    _wait_for_operation(call, answer["OperationId"])


def _dns_config(props: Props, *, create: bool) -> dict[str, Any] | None:
    given = props.get("dnsConfig")
    if not given:
        return None
    records = [pick(item, {"type": "Type", "ttl": "TTL"}) for item in given.get("dnsRecords") or []]
    config: dict[str, Any] = {"DnsRecords": records}
    if create:
        config.update(pick(given, {"namespaceId": "NamespaceId", "routingPolicy": "RoutingPolicy"}))
    return config


def create_service(call: Call, props: Props) -> tuple[str, Props]:
    args: dict[str, Any] = {"Name": props["name"], "CreatorRequestId": call.name, **_tags(call)}
    args.update(pick(props, {"description": "Description", "namespaceId": "NamespaceId", "type": "Type"}))
    dns = _dns_config(props, create=True)
    if dns:
        args["DnsConfig"] = dns
    if "healthCheckCustomConfig" in props:
        args["HealthCheckCustomConfig"] = pick(
            props["healthCheckCustomConfig"], {"failureThreshold": "FailureThreshold"}
        )
    service = call.client("servicediscovery").create_service(**args)["Service"]
    return service["Id"], {"arn": service["Arn"]}


def update_service(call: Call, service_id: str, old: Props, new: Props, changed: set[str]) -> Props:
    update: dict[str, Any] = {}
    if "description" in changed:
        update["Description"] = new.get("description") or ""
    if "dnsConfig" in changed:
        update["DnsConfig"] = _dns_config(new, create=False)
    if update:
        answer = call.client("servicediscovery").update_service(Id=service_id, Service=update)
        _wait_for_operation(call, answer["OperationId"])
    return {}


def delete_service(call: Call, service_id: str, props: Props) -> None:
    client = call.client("servicediscovery")
    if props.get("forceDestroy"):  # resourceServiceDelete: deregister every instance first
        for instance in client.list_instances(ServiceId=service_id).get("Instances", []):
            client.deregister_instance(ServiceId=service_id, InstanceId=instance["Id"])
    client.delete_service(Id=service_id)


RESOURCES = {
    "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace": resource(
        "internal/service/servicediscovery/private_dns_namespace.go",
        "name vpc description",
        create_namespace,
        delete_namespace,
        update_namespace,
        "description",
    ),
    "aws:servicediscovery/service:Service": resource(
        "internal/service/servicediscovery/service.go",
        "name description namespaceId type dnsConfig healthCheckCustomConfig forceDestroy",
        create_service,
        delete_service,
        update_service,
        "description dnsConfig forceDestroy",
    ),
}
