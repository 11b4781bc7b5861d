"""Every name the program gives and other layers look for: AWS names derived from the cluster name
alone (no random suffixes), logical (Pulumi) names, type tokens, ftcluster's tag keys and IAM path.

Pulumi-free, so live/, cost/, engine/ and cli/ import the names from here instead of copying them.
Regional resources are named after the cluster; account-wide ones (IAM roles) and the globally
unique checkpoint bucket also carry the region, so one cluster name can be used in two regions.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..spec import Spec, SpotFleet
from ..spec.models import CLUSTER_TAG as CLUSTER_TAG  # defined with the spec rule that reserves the prefix
from ..spec.models import TIER_TAG as TIER_TAG
from .event_patterns import RULE_SOURCES

IAM_PATH = "/ftcluster/"  # every IAM role and instance profile of the program is under this path

# AWS limits of the names below (characters), checked by tests for the longest cluster name
# and the longest region name.
LIMITS = {
    "cluster": 255,
    "service": 255,
    "family": 255,
    "log_group": 512,
    "security_group": 255,
    "launch_template": 128,
    "auto_scaling_group": 255,
    "capacity_provider": 255,
    "discovery_namespace": 253,
    "iam_role": 64,
    "instance_profile": 128,
    "iam_policy": 128,
    "scaling_policy": 256,
    "bucket": 63,
    "tag_value": 256,
    "event_rule": 64,  # EventBridge PutRule Name
    "state_machine": 80,  # Step Functions CreateStateMachine name
    "ssm_parameter": 1011,  # SSM parameter name, the fully qualified path included
}

# --- logical (Pulumi) names ----------------------------------------------------------------------
# Every logical name the program registers, in one place. Pulumi keys state by these names, so
# renaming one replaces that resource on every deployed cluster: never change a value here
# (tests/program/test_names.py pins the full list of the us-east-1 example).

# Addressed by other layers too, e.g. `--target` of a scale update.
SCALING_TARGET = "training-scaling"
TRAINING_SERVICE = "training-service"
SPOT_FLEET = "spot-fleet"
GPU_INSTANCES = "gpu-instances"  # the Auto Scaling group (fleet.type auto_scaling_group)
WORKERS_SERVICE = "workers-service"
CHECKPOINT_BUCKET = "checkpoint-bucket"

# network
VPC = "vpc"
INTERNET_GATEWAY = "internet-gateway"
PUBLIC_ROUTES = "public-routes"
PUBLIC_DEFAULT_ROUTE = "public-default-route"
S3_ENDPOINT = "s3-endpoint"
# security, logs
SECURITY_GROUP = "tasks-security-group"
LOG_GROUP = "log-group"
INSIGHTS_LOG_GROUP = "container-insights-log-group"
# event recording (the interruption ledger of `ftcluster events`)
EVENT_LOG_GROUP = "event-log-group"
EVENT_LOG_POLICY = "event-log-policy"
# checkpoints
CHECKPOINT_OWNERSHIP = "checkpoint-bucket-ownership"
CHECKPOINT_PUBLIC_ACCESS = "checkpoint-bucket-public-access"
CHECKPOINT_ENCRYPTION = "checkpoint-bucket-encryption"
CHECKPOINT_VERSIONING = "checkpoint-bucket-versioning"
CHECKPOINT_LIFECYCLE = "checkpoint-bucket-lifecycle"
CHECKPOINT_POLICY = "checkpoint-bucket-policy"
# iam
EXECUTION_ROLE = "execution-role"
TASK_ROLE = "task-role"
TASK_ROLE_POLICY = "task-role-checkpoints"
INSTANCE_ROLE = "instance-role"
INSTANCE_PROFILE = "instance-profile"
FLEET_ROLE = "spot-fleet-role"
# compute, fleet
CLUSTER = "cluster"
CLUSTER_CAPACITY_PROVIDERS = "cluster-capacity-providers"
TRAINING_TASK = "training-task"
LAUNCH_TEMPLATE = "fleet-launch-template"  # both fleet types: the mode change replaces it (its name changes)
GPU_CAPACITY_PROVIDER = "gpu-capacity-provider"
WORKERS_TASK = "workers-task"
# distributed (fleet.workers.distributed)
DISCOVERY_NAMESPACE = "discovery-namespace"
WORKERS_DISCOVERY = "workers-discovery"
RENDEZVOUS_DISCOVERY = "rendezvous-discovery"
RENDEZVOUS_TASK = "rendezvous-task"
RENDEZVOUS_SERVICE = "rendezvous-service"
# completion: a job that finished stays finished (completion.py)
COMPLETION_RULE = "completion-rule"
COMPLETION_RULE_TARGET = "completion-rule-target"
COMPLETION_STATE_MACHINE = "completion-state-machine"
COMPLETION_EVENTS_ROLE = "completion-events-role"
COMPLETION_EVENTS_POLICY = "completion-events-policy"
COMPLETION_STEPS_ROLE = "completion-steps-role"
COMPLETION_STEPS_POLICY = "completion-steps-policy"


# Logical names by what they belong to (the offline plan groups them so).
DISTRIBUTED_NAMES = frozenset(
    {DISCOVERY_NAMESPACE, WORKERS_DISCOVERY, RENDEZVOUS_DISCOVERY, RENDEZVOUS_TASK, RENDEZVOUS_SERVICE}
)
FLEET_WORKERS_NAMES = frozenset({WORKERS_TASK, WORKERS_SERVICE})
COMPLETION_NAMES = frozenset(  # and each job's marker, `completion_marker(job)`
    {
        COMPLETION_RULE,
        COMPLETION_RULE_TARGET,
        COMPLETION_STATE_MACHINE,
        COMPLETION_EVENTS_ROLE,
        COMPLETION_EVENTS_POLICY,
        COMPLETION_STEPS_ROLE,
        COMPLETION_STEPS_POLICY,
    }
)

# --- type tokens ---------------------------------------------------------------------------------
# The Pulumi type of each kind of resource the program declares, as its pulumi_aws class registers
# it (`aws:<module>/<name>:<Class>`); tests/program/test_names.py checks each against pulumi_aws
# and that the program declares no other. Pulumi's own stack resource comes first.
STACK_TYPE = "pulumi:pulumi:Stack"
PROVIDER_TYPE = "pulumi:providers:aws"
VPC_TYPE = "aws:ec2/vpc:Vpc"
SUBNET_TYPE = "aws:ec2/subnet:Subnet"
INTERNET_GATEWAY_TYPE = "aws:ec2/internetGateway:InternetGateway"
ROUTE_TABLE_TYPE = "aws:ec2/routeTable:RouteTable"
ROUTE_TYPE = "aws:ec2/route:Route"
ROUTE_TABLE_ASSOCIATION_TYPE = "aws:ec2/routeTableAssociation:RouteTableAssociation"
EIP_TYPE = "aws:ec2/eip:Eip"
NAT_GATEWAY_TYPE = "aws:ec2/natGateway:NatGateway"
VPC_ENDPOINT_TYPE = "aws:ec2/vpcEndpoint:VpcEndpoint"
SECURITY_GROUP_TYPE = "aws:ec2/securityGroup:SecurityGroup"
LAUNCH_TEMPLATE_TYPE = "aws:ec2/launchTemplate:LaunchTemplate"
SPOT_FLEET_REQUEST_TYPE = "aws:ec2/spotFleetRequest:SpotFleetRequest"
ROLE_TYPE = "aws:iam/role:Role"
ROLE_POLICY_TYPE = "aws:iam/rolePolicy:RolePolicy"
ROLE_POLICY_ATTACHMENT_TYPE = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
INSTANCE_PROFILE_TYPE = "aws:iam/instanceProfile:InstanceProfile"
LOG_GROUP_TYPE = "aws:cloudwatch/logGroup:LogGroup"
LOG_RESOURCE_POLICY_TYPE = "aws:cloudwatch/logResourcePolicy:LogResourcePolicy"
BUCKET_TYPE = "aws:s3/bucket:Bucket"
BUCKET_OWNERSHIP_TYPE = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
BUCKET_PUBLIC_ACCESS_TYPE = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_ENCRYPTION_TYPE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
BUCKET_VERSIONING_TYPE = "aws:s3/bucketVersioning:BucketVersioning"
BUCKET_LIFECYCLE_TYPE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
BUCKET_POLICY_TYPE = "aws:s3/bucketPolicy:BucketPolicy"
ECS_CLUSTER_TYPE = "aws:ecs/cluster:Cluster"
CLUSTER_CAPACITY_PROVIDERS_TYPE = "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders"
TASK_DEFINITION_TYPE = "aws:ecs/taskDefinition:TaskDefinition"
ECS_SERVICE_TYPE = "aws:ecs/service:Service"
CAPACITY_PROVIDER_TYPE = "aws:ecs/capacityProvider:CapacityProvider"
SCALING_TARGET_TYPE = "aws:appautoscaling/target:Target"
SCALING_POLICY_TYPE = "aws:appautoscaling/policy:Policy"
AUTO_SCALING_GROUP_TYPE = "aws:autoscaling/group:Group"
DNS_NAMESPACE_TYPE = "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace"
DISCOVERY_SERVICE_TYPE = "aws:servicediscovery/service:Service"
EVENT_RULE_TYPE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET_TYPE = "aws:cloudwatch/eventTarget:EventTarget"
STATE_MACHINE_TYPE = "aws:sfn/stateMachine:StateMachine"
SSM_PARAMETER_TYPE = "aws:ssm/parameter:Parameter"


def provider(region: str) -> str:
    return f"aws-{region}"


def managed_policy_attachment(role: str) -> str:
    """The attachment of a role's AWS managed policy, named after the role's logical name."""
    return f"{role}-policy"


def event_rule(source: str) -> str:
    """The EventBridge rule of one recorded source (event_patterns.RULE_SOURCES)."""
    return f"event-rule-{source}"


def event_target(source: str) -> str:
    """The rule's target: the cluster's event log group."""
    return f"{event_rule(source)}-target"


# the ledger's log group, its resource policy, each source's rule and target (the offline plan groups them)
EVENT_RECORDING_NAMES = frozenset(
    {EVENT_LOG_GROUP, EVENT_LOG_POLICY}
    | {name(source) for source in RULE_SOURCES for name in (event_rule, event_target)}
)


def completion_marker(job: str) -> str:
    """The SSM parameter recording that `job` ("training", "workers") completed."""
    return f"{job}-completion"


def scaling_policy(metric: str) -> str:
    """Target-tracking policy on `metric` ("cpu", "memory")."""
    return f"{SCALING_TARGET}-{metric}"


# Indexed network resources: index is the AZ's position, starting at 1.
def public_subnet(index: int) -> str:
    return f"public-subnet-{index}"


def private_subnet(index: int) -> str:
    return f"private-subnet-{index}"


def subnet_routes(subnet: str) -> str:
    """The route table association of a subnet, named after the subnet's logical name."""
    return f"{subnet}-routes"


def private_routes(index: int) -> str:
    return f"private-routes-{index}"


def private_default_route(index: int) -> str:
    return f"private-default-route-{index}"


def nat_address(index: int) -> str:
    return f"nat-address-{index}"


def nat_gateway(index: int) -> str:
    return f"nat-gateway-{index}"


ACCOUNT_ID_EXAMPLE = "123456789012"  # AWS account ids are always 12 digits

# Cloud Map services inside the cluster's namespace: `rendezvous.<namespace>` is the workers' endpoint.
WORKERS_DISCOVERY_NAME = "workers"
RENDEZVOUS_DISCOVERY_NAME = "rendezvous"


@dataclass(frozen=True)
class Names:
    cluster: str
    training_service: str
    training_family: str
    workers_service: str
    workers_family: str
    log_group: str
    insights_log_group: str  # the name Container Insights writes to; we create it to own it
    security_group: str
    launch_template: str  # per fleet type, so that changing the type replaces the template
    auto_scaling_group: str
    capacity_provider: str
    discovery_namespace: str  # private DNS zone of the elastic job's rendezvous and workers
    rendezvous_service: str
    rendezvous_family: str
    execution_role: str
    task_role: str
    instance_role: str
    instance_profile: str
    fleet_role: str
    checkpoint_policy: str
    cpu_policy: str
    memory_policy: str
    event_log_group: str  # where EventBridge delivers the events `ftcluster events` reads
    event_log_policy: str  # the CloudWatch Logs resource policy that lets EventBridge write there
    completion_rule: str  # EventBridge rule: a task of a job exited 0
    completion_state_machine: str  # Step Functions: stops the job and records it
    completion_events_role: str  # EventBridge starts the state machine with it
    completion_steps_role: str  # the state machine calls ECS, Auto Scaling, EC2 and SSM with it
    region: str

    def event_rule(self, source: str) -> str:
        return event_rule_name(self.cluster, source)

    def completion_parameter(self, job: str) -> str:
        """SSM parameter that says whether `job` completed: written by the state machine, read by `up` and
        `status`."""
        return f"/ftcluster/{self.cluster}/completed/{job}"

    def checkpoint_bucket(self, account_id: str) -> str:
        """Globally unique yet deterministic: cluster, account and region make it one of a kind."""
        return f"{self.cluster}-ckpt-{account_id}-{self.region}"

    def lengths(self) -> dict[str, tuple[str, int]]:
        """Each name with its AWS limit, for the tests."""
        return {
            "cluster": (self.cluster, LIMITS["cluster"]),
            "training_service": (self.training_service, LIMITS["service"]),
            "training_family": (self.training_family, LIMITS["family"]),
            "workers_service": (self.workers_service, LIMITS["service"]),
            "workers_family": (self.workers_family, LIMITS["family"]),
            "log_group": (self.log_group, LIMITS["log_group"]),
            "insights_log_group": (self.insights_log_group, LIMITS["log_group"]),
            "security_group": (self.security_group, LIMITS["security_group"]),
            "launch_template": (self.launch_template, LIMITS["launch_template"]),
            "auto_scaling_group": (self.auto_scaling_group, LIMITS["auto_scaling_group"]),
            "capacity_provider": (self.capacity_provider, LIMITS["capacity_provider"]),
            "discovery_namespace": (self.discovery_namespace, LIMITS["discovery_namespace"]),
            "rendezvous_service": (self.rendezvous_service, LIMITS["service"]),
            "rendezvous_family": (self.rendezvous_family, LIMITS["family"]),
            "execution_role": (self.execution_role, LIMITS["iam_role"]),
            "task_role": (self.task_role, LIMITS["iam_role"]),
            "instance_role": (self.instance_role, LIMITS["iam_role"]),
            "instance_profile": (self.instance_profile, LIMITS["instance_profile"]),
            "fleet_role": (self.fleet_role, LIMITS["iam_role"]),
            "checkpoint_policy": (self.checkpoint_policy, LIMITS["iam_policy"]),
            "cpu_policy": (self.cpu_policy, LIMITS["scaling_policy"]),
            "memory_policy": (self.memory_policy, LIMITS["scaling_policy"]),
            "event_log_group": (self.event_log_group, LIMITS["log_group"]),
            **{f"event_rule_{source}": (self.event_rule(source), LIMITS["event_rule"]) for source in RULE_SOURCES},
            "completion_rule": (self.completion_rule, LIMITS["event_rule"]),
            "completion_state_machine": (self.completion_state_machine, LIMITS["state_machine"]),
            "completion_events_role": (self.completion_events_role, LIMITS["iam_role"]),
            "completion_steps_role": (self.completion_steps_role, LIMITS["iam_role"]),
            "completion_parameter": (self.completion_parameter("training"), LIMITS["ssm_parameter"]),
            "checkpoint_bucket": (self.checkpoint_bucket(ACCOUNT_ID_EXAMPLE), LIMITS["bucket"]),
        }


def event_rule_name(cluster: str, source: str) -> str:
    """The EventBridge rule recording one source (event_patterns.RULE_SOURCES) of a cluster."""
    return f"{cluster}-{source}"


def event_log_policy_name(cluster: str) -> str:
    """Account-wide per region, like the rules: the cluster name is unique in its region."""
    return f"ftcluster-{cluster}-events"


def drill_role_prefix(cluster: str, region: str) -> str:
    """The IAM roles `ftcluster drill` makes for FIS, one per drill and deleted after it (IAM is global:
    the region keeps clusters of one name apart)."""
    return f"{cluster}-{region}-drill-"


def event_log_group(cluster: str) -> str:
    """The event log group of a cluster, from its name alone (`ftcluster events` finds it without a
    spec). Under /aws/events/, where the EventBridge console looks for log group targets."""
    return f"/aws/events/ftcluster/{cluster}"


def names_for(spec: Spec) -> Names:
    return cluster_names(spec.name, spec.region, spot_fleet=isinstance(spec.fleet, SpotFleet))


def cluster_names(name: str, region: str, *, spot_fleet: bool = False) -> Names:
    """The names of cluster `name` in `region` (what live/ looks for once the spec is gone)."""
    account_wide = f"{name}-{region}"  # IAM is global to the account: keep regions apart
    # A launch template's name is ForceNew (terraform-provider-aws internal/service/ec2/ec2_launch_template.go):
    # a name per fleet type makes a change of type replace the template, and so every instance.
    return Names(
        cluster=name,
        training_service=f"{name}-training",
        training_family=f"{name}-training",
        workers_service=f"{name}-fleet-workers",
        workers_family=f"{name}-fleet-workers",
        log_group=f"/ftcluster/{name}",
        # Fixed by AWS (CloudWatch User Guide, "Container Insights structured logs for Amazon ECS").
        insights_log_group=f"/aws/ecs/containerinsights/{name}/performance",
        security_group=f"{name}-tasks",
        launch_template=f"{name}-fleet" if spot_fleet else f"{name}-gpu",
        auto_scaling_group=f"{name}-gpu",
        capacity_provider=f"{name}-gpu",
        discovery_namespace=f"{name}.ftcluster",
        rendezvous_service=f"{name}-rendezvous",
        rendezvous_family=f"{name}-rendezvous",
        execution_role=f"{account_wide}-execution",
        task_role=f"{account_wide}-task",
        instance_role=f"{account_wide}-instance",
        instance_profile=f"{account_wide}-instance",
        fleet_role=f"{account_wide}-spot-fleet",
        checkpoint_policy=f"{name}-checkpoints",
        cpu_policy=f"{name}-cpu-target",
        memory_policy=f"{name}-memory-target",
        event_log_group=event_log_group(name),
        event_log_policy=event_log_policy_name(name),
        completion_rule=f"{name}-job-completed",
        completion_state_machine=f"{name}-job-completed",
        completion_events_role=f"{account_wide}-completion-events",
        completion_steps_role=f"{account_wide}-completion-steps",
        region=region,
    )
