"""What each example spec deploys (types and counts), and that the same spec always gives the same."""

from __future__ import annotations

from collections import Counter

from program_helpers import US_EAST

from ftcluster.offline import OfflinePlan, run_offline
from ftcluster.program.options import capacity_strategy
from ftcluster.spec import Capacity, load_spec

# what ends a finished job: a rule, its target, the state machine (one SSM parameter per job besides)
COMPLETION_TYPES = {
    "aws:cloudwatch/eventRule:EventRule": 1,
    "aws:cloudwatch/eventTarget:EventTarget": 1,
    "aws:sfn/stateMachine:StateMachine": 1,
}
US_EAST_TYPES = {
    "pulumi:providers:aws": 1,
    # network: 3 AZs x (public + private subnet, 2 route table associations, NAT + its address)
    "aws:ec2/vpc:Vpc": 1,
    "aws:ec2/internetGateway:InternetGateway": 1,
    "aws:ec2/subnet:Subnet": 6,
    "aws:ec2/routeTable:RouteTable": 4,
    "aws:ec2/routeTableAssociation:RouteTableAssociation": 6,
    "aws:ec2/route:Route": 4,
    "aws:ec2/eip:Eip": 3,
    "aws:ec2/natGateway:NatGateway": 3,
    "aws:ec2/vpcEndpoint:VpcEndpoint": 1,
    "aws:ec2/securityGroup:SecurityGroup": 1,
    # IAM: execution, task and instance roles (an Auto Scaling group needs no role of ours), and the two
    # roles that end a finished job (EventBridge, Step Functions) with their inline policies
    "aws:iam/role:Role": 5,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 2,
    "aws:iam/rolePolicy:RolePolicy": 3,
    "aws:iam/instanceProfile:InstanceProfile": 1,
    "aws:cloudwatch/logGroup:LogGroup": 3,  # containers, Container Insights, the event ledger
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": 1,  # EventBridge may write the ledger
    "aws:s3/bucket:Bucket": 1,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": 1,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": 1,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": 1,
    "aws:s3/bucketVersioning:BucketVersioning": 1,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": 1,
    "aws:s3/bucketPolicy:BucketPolicy": 1,
    "aws:ecs/cluster:Cluster": 1,
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": 1,
    "aws:ecs/taskDefinition:TaskDefinition": 2,  # training + fleet workers
    "aws:ecs/service:Service": 2,
    "aws:appautoscaling/target:Target": 1,
    "aws:appautoscaling/policy:Policy": 2,  # CPU and memory
    "aws:ec2/launchTemplate:LaunchTemplate": 1,
    "aws:autoscaling/group:Group": 1,
    "aws:ecs/capacityProvider:CapacityProvider": 1,
    **COMPLETION_TYPES,
    "aws:ssm/parameter:Parameter": 2,  # training and workers
    # the completion rule, and the ledger's: tasks, Spot notices, the group's instances, drills (each with its target)
    "aws:cloudwatch/eventRule:EventRule": 5,
    "aws:cloudwatch/eventTarget:EventTarget": 5,
}
US_WEST_TYPES = {  # the same new VPC; an elastic job instead of auto scaling policies
    **{t: n for t, n in US_EAST_TYPES.items() if t != "aws:appautoscaling/policy:Policy"},
    "aws:ecs/taskDefinition:TaskDefinition": 3,  # training, workers, rendezvous
    "aws:ecs/service:Service": 3,
    "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace": 1,
    "aws:servicediscovery/service:Service": 2,  # workers, rendezvous
}

EU_WEST_TYPES = {  # existing VPC and bucket, no fleet, no auto scaling policies
    "pulumi:providers:aws": 1,
    "aws:ec2/securityGroup:SecurityGroup": 1,
    "aws:iam/role:Role": 4,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 1,
    "aws:iam/rolePolicy:RolePolicy": 3,
    "aws:cloudwatch/logGroup:LogGroup": 3,
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": 1,
    "aws:ecs/cluster:Cluster": 1,
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": 1,
    "aws:ecs/taskDefinition:TaskDefinition": 1,
    "aws:ecs/service:Service": 1,
    "aws:appautoscaling/target:Target": 1,
    **COMPLETION_TYPES,
    "aws:ssm/parameter:Parameter": 1,  # training only
    "aws:cloudwatch/eventRule:EventRule": 3,  # the completion rule; the ledger's tasks and drills (no fleet)
    "aws:cloudwatch/eventTarget:EventTarget": 3,
}


def test_us_east_1_example_deploys_these_types(us_east: OfflinePlan) -> None:
    assert dict(Counter(r.type for r in us_east.resources)) == US_EAST_TYPES


def test_eu_west_1_example_deploys_these_types(eu_west: OfflinePlan) -> None:
    assert dict(Counter(r.type for r in eu_west.resources)) == EU_WEST_TYPES


def test_us_west_2_example_deploys_these_types(us_west: OfflinePlan) -> None:
    assert dict(Counter(r.type for r in us_west.resources)) == US_WEST_TYPES


def test_us_east_1_as_a_spot_fleet_deploys_what_it_always_did(us_east_spot: OfflinePlan) -> None:
    spot = {
        **{
            t: n
            for t, n in US_EAST_TYPES.items()
            if t.split(":")[1] not in ("autoscaling/group", "ecs/capacityProvider")
        },
        "aws:iam/role:Role": 6,
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 3,
        "aws:ec2/spotFleetRequest:SpotFleetRequest": 1,
    }
    assert dict(Counter(r.type for r in us_east_spot.resources)) == spot


def test_building_twice_gives_identical_inputs(us_east: OfflinePlan) -> None:
    again = run_offline(load_spec(US_EAST))
    assert [r.as_json() for r in again.resources] == [r.as_json() for r in us_east.resources]
    assert again.exports == us_east.exports


def test_capacity_weights_follow_the_spot_share() -> None:
    assert capacity_strategy(Capacity(on_demand_base=1, spot_percent=0)) == [
        {"capacity_provider": "FARGATE", "base": 1, "weight": 1}
    ]
    assert capacity_strategy(Capacity(on_demand_base=3, spot_percent=60)) == [
        {"capacity_provider": "FARGATE", "base": 3, "weight": 2},
        {"capacity_provider": "FARGATE_SPOT", "base": 0, "weight": 3},
    ]
    assert capacity_strategy(Capacity(on_demand_base=0, spot_percent=33)) == [
        {"capacity_provider": "FARGATE", "base": 0, "weight": 67},
        {"capacity_provider": "FARGATE_SPOT", "base": 0, "weight": 33},
    ]
