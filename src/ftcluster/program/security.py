"""The security group of tasks and fleet instances: out anywhere, in only from each other."""

from __future__ import annotations

import pulumi_aws as aws

from .context import Context
from .network import Network


def build_security_group(ctx: Context, network: Network) -> aws.ec2.SecurityGroup:
    port = ctx.spec.training.port
    ingress = []
    if port is not None:
        # Workers talk to each other on this port; nothing outside the group may connect.
        ingress.append(
            {
                "description": "training traffic between the cluster's tasks",
                "protocol": "tcp",
                "from_port": port,
                "to_port": port,
                "self": True,
            }
        )
    return aws.ec2.SecurityGroup(
        "tasks-security-group",
        name=ctx.names.security_group,
        description=f"ftcluster {ctx.spec.name}: training tasks and Spot Fleet instances",
        vpc_id=network.vpc_id,
        ingress=ingress,
        egress=[
            {
                # Image pulls, ECS and S3 APIs, package downloads.
                "description": "all outbound traffic",
                "protocol": "-1",
                "from_port": 0,
                "to_port": 0,
                "cidr_blocks": ["0.0.0.0/0"],
                "ipv6_cidr_blocks": ["::/0"],
            }
        ],
        revoke_rules_on_delete=True,  # the self-reference would otherwise block deleting the group
        tags={"Name": ctx.names.security_group},
        opts=ctx.opts(),
    )
