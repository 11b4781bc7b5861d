"""What launches instances, in the emulator: launch templates (internal/service/ec2/ec2_launch_template.go)
and Spot Fleet requests (internal/service/ec2/ec2_spot_fleet_request.go)."""

from __future__ import annotations

from typing import Any

from .core import Call, NotEmulated, Props, flag, pick, resource, tag_list
from .ec2_network import retag, tag_specs

# launch template data: Pulumi input -> RequestLaunchTemplateData member (expandRequestLaunchTemplateData)
TEMPLATE_DATA = {
    "imageId": "ImageId",
    "instanceType": "InstanceType",
    "keyName": "KeyName",
    "userData": "UserData",
    "vpcSecurityGroupIds": "SecurityGroupIds",
    "securityGroupNames": "SecurityGroups",
    "ebsOptimized": "EbsOptimized",
}
TEMPLATE_INPUTS = [
    *TEMPLATE_DATA,
    "name",
    "description",
    "iamInstanceProfile",
    "metadataOptions",
    "blockDeviceMappings",
    "tagSpecifications",
    "updateDefaultVersion",
]


def _template_data(props: Props) -> dict[str, Any]:
    data = pick(props, TEMPLATE_DATA)
    if "ebsOptimized" in data:
        data["EbsOptimized"] = flag(data["EbsOptimized"])
    profile = pick(props.get("iamInstanceProfile"), {"arn": "Arn", "name": "Name"})
    if profile:
        data["IamInstanceProfile"] = profile
    metadata = pick(
        props.get("metadataOptions"),
        {
            "httpEndpoint": "HttpEndpoint",
            "httpTokens": "HttpTokens",
            "httpPutResponseHopLimit": "HttpPutResponseHopLimit",
            "instanceMetadataTags": "InstanceMetadataTags",
            "httpProtocolIpv6": "HttpProtocolIpv6",
        },
    )
    if metadata:
        data["MetadataOptions"] = metadata
    mappings = []
    for mapping in props.get("blockDeviceMappings") or []:
        item = pick(mapping, {"deviceName": "DeviceName", "noDevice": "NoDevice", "virtualName": "VirtualName"})
        ebs = pick(
            mapping.get("ebs"),
            {
                "volumeSize": "VolumeSize",
                "volumeType": "VolumeType",
                "iops": "Iops",
                "throughput": "Throughput",
                "kmsKeyId": "KmsKeyId",
                "snapshotId": "SnapshotId",
                "encrypted": "Encrypted",
                "deleteOnTermination": "DeleteOnTermination",
            },
        )
        for key in ("Encrypted", "DeleteOnTermination"):  # tri-state text in the schema ("true", "false", "")
            if key in ebs:
                ebs[key] = flag(ebs[key])
        if ebs:
            item["Ebs"] = ebs
        mappings.append(item)
    if mappings:
        data["BlockDeviceMappings"] = mappings
    specs = [
        {"ResourceType": spec["resourceType"], "Tags": tag_list(spec.get("tags") or {})}
        for spec in props.get("tagSpecifications") or []
    ]
    if specs:
        data["TagSpecifications"] = specs
    return data


def create_launch_template(call: Call, props: Props) -> tuple[str, Props]:
    args: dict[str, Any] = {
        "LaunchTemplateName": props["name"],
        "LaunchTemplateData": _template_data(props),
        **tag_specs(call, "launch-template"),
    }
    if props.get("description"):
        args["VersionDescription"] = props["description"]
    template = call.client("ec2").create_launch_template(**args)["LaunchTemplate"]
    template_id = template["LaunchTemplateId"]
    return template_id, {
        "arn": call.arn("ec2", f"launch-template/{template_id}"),
        "latestVersion": int(template["LatestVersionNumber"]),
        "defaultVersion": int(template["DefaultVersionNumber"]),
    }


def update_launch_template(call: Call, template_id: str, old: Props, new: Props, changed: set[str]) -> Props:
    """A changed template is a new version; `updateDefaultVersion` makes it the default."""
    ec2 = call.client("ec2")
    found: Props = {}
    if changed - {"tags", "tagsAll", "updateDefaultVersion"}:
        args: dict[str, Any] = {"LaunchTemplateId": template_id, "LaunchTemplateData": _template_data(new)}
        if new.get("description"):
            args["VersionDescription"] = new["description"]
        version = ec2.create_launch_template_version(**args)["LaunchTemplateVersion"]
        found["latestVersion"] = int(version["VersionNumber"])
        if new.get("updateDefaultVersion"):
            ec2.modify_launch_template(LaunchTemplateId=template_id, DefaultVersion=str(version["VersionNumber"]))
            found["defaultVersion"] = int(version["VersionNumber"])
    if changed & {"tags", "tagsAll"}:
        retag(call, template_id, old, new)
    return found


def delete_launch_template(call: Call, template_id: str, props: Props) -> None:
    call.client("ec2").delete_launch_template(LaunchTemplateId=template_id)


# --- Spot Fleet ----------------------------------------------------------------------------------------

FLEET_SETTINGS = {
    "iamFleetRole": "IamFleetRole",
    "fleetType": "Type",
    "targetCapacity": "TargetCapacity",
    "onDemandTargetCapacity": "OnDemandTargetCapacity",
    "allocationStrategy": "AllocationStrategy",
    "onDemandAllocationStrategy": "OnDemandAllocationStrategy",
    "replaceUnhealthyInstances": "ReplaceUnhealthyInstances",
    "instanceInterruptionBehaviour": "InstanceInterruptionBehavior",
    "excessCapacityTerminationPolicy": "ExcessCapacityTerminationPolicy",
    "spotPrice": "SpotPrice",
    "instancePoolsToUseCount": "InstancePoolsToUseCount",
    "terminateInstancesWithExpiration": "TerminateInstancesWithExpiration",
    "validFrom": "ValidFrom",
    "validUntil": "ValidUntil",
}
FLEET_ONLY_PROVIDER = ("terminateInstancesOnDelete", "waitForFulfillment")  # the provider's own settings
# ec2_spot_fleet_request.go: only these change in place (ModifySpotFleetRequest); the rest is ForceNew
FLEET_UPDATABLE = {
    "targetCapacity": "TargetCapacity",
    "onDemandTargetCapacity": "OnDemandTargetCapacity",
    "excessCapacityTerminationPolicy": "ExcessCapacityTerminationPolicy",
}


def _launch_template_configs(props: Props) -> list[dict[str, Any]]:
    configs = []
    for config in props.get("launchTemplateConfigs") or []:
        spec = pick(
            config.get("launchTemplateSpecification"),
            {"id": "LaunchTemplateId", "name": "LaunchTemplateName", "version": "Version"},
        )
        overrides = [
            pick(
                override,
                {
                    "instanceType": "InstanceType",
                    "subnetId": "SubnetId",
                    "availabilityZone": "AvailabilityZone",
                    "spotPrice": "SpotPrice",
                    "weightedCapacity": "WeightedCapacity",
                    "priority": "Priority",
                },
            )
            for override in config.get("overrides") or []
        ]
        configs.append({"LaunchTemplateSpecification": spec, **({"Overrides": overrides} if overrides else {})})
    return configs


def create_spot_fleet(call: Call, props: Props) -> tuple[str, Props]:
    if props.get("launchSpecifications"):
        raise NotEmulated("Spot Fleet launch_specifications are not mapped (the program uses launch templates)")
    config: dict[str, Any] = pick(props, FLEET_SETTINGS)
    config["ReplaceUnhealthyInstances"] = bool(config.get("ReplaceUnhealthyInstances", False))
    config["LaunchTemplateConfigs"] = _launch_template_configs(props)
    if call.tags:
        config["TagSpecifications"] = [{"ResourceType": "spot-fleet-request", "Tags": tag_list(call.tags)}]
    request_id = call.client("ec2").request_spot_fleet(SpotFleetRequestConfig=config)["SpotFleetRequestId"]
    return request_id, {"clientToken": request_id}


def update_spot_fleet(call: Call, request_id: str, old: Props, new: Props, changed: set[str]) -> Props:
    modify = {api: new[key] for key, api in FLEET_UPDATABLE.items() if key in changed and new.get(key) is not None}
    if modify:
        call.client("ec2").modify_spot_fleet_request(SpotFleetRequestId=request_id, **modify)
    if changed & {"tags", "tagsAll"}:
        retag(call, request_id, old, new)
    return {}


def delete_spot_fleet(call: Call, request_id: str, props: Props) -> None:
    # terminate_instances_on_delete: "true" by default in the provider; here the program sets it
    terminate = flag(props.get("terminateInstancesOnDelete"))
    call.client("ec2").cancel_spot_fleet_requests(
        SpotFleetRequestIds=[request_id], TerminateInstances=True if terminate is None else terminate
    )


RESOURCES = {
    "aws:ec2/launchTemplate:LaunchTemplate": resource(
        "internal/service/ec2/ec2_launch_template.go",
        " ".join(TEMPLATE_INPUTS),
        create_launch_template,
        delete_launch_template,
        update_launch_template,
        " ".join([*TEMPLATE_INPUTS, "tags", "tagsAll"]),
    ),
    "aws:ec2/spotFleetRequest:SpotFleetRequest": resource(
        "internal/service/ec2/ec2_spot_fleet_request.go",
        " ".join([*FLEET_SETTINGS, *FLEET_ONLY_PROVIDER, "launchTemplateConfigs", "launchSpecifications"]),
        create_spot_fleet,
        delete_spot_fleet,
        update_spot_fleet,
        " ".join([*FLEET_UPDATABLE, *FLEET_ONLY_PROVIDER, "tags", "tagsAll"]),
    ),
}
