"""The security group of tasks and fleet instances: out anywhere, in only from each other."""

from __future__ import annotations

import pulumi_aws as aws

from . import names as logical
from .context import Context
from .network import Network

# EC2 accepts only a-zA-Z0-9, spaces and ._-:/()#,@[]+=&;{}!$* in rule descriptions (API
# IpRange/UserIdGroupPair; terraform-provider-aws internal/service/ec2/validate.go
# validSecurityGroupRuleDescription): no apostrophes. tests/program/test_aws_names.py checks them.
PEER_RULE = "all traffic between members of this group (NCCL and Gloo use ephemeral ports)"
EGRESS_RULE = "all outbound traffic"


def build_security_group(ctx: Context, network: Network) -> aws.ec2.SecurityGroup:
    return aws.ec2.SecurityGroup(
        logical.SECURITY_GROUP,
        name=ctx.names.security_group,
        description=f"ftcluster {ctx.spec.name}: training tasks and Spot Fleet instances",
        vpc_id=network.vpc_id,
        ingress=[
            {
                # Every protocol and port, but only from the group itself. training.port alone is
                # not enough: NCCL and Gloo open further connections between ranks on ephemeral
                # ports (NVIDIA/nccl#680), which a single-port rule silently drops.
                "description": PEER_RULE,
                "protocol": "-1",
                "from_port": 0,
                "to_port": 0,
                "self": True,
            }
        ],
        egress=[
            {
                # Image pulls, ECS and S3 APIs, package downloads.
                "description": EGRESS_RULE,
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
