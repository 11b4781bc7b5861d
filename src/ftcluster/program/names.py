"""Every AWS name the program gives, derived from the cluster name alone (no random suffixes).

Regional resources are named after the cluster; account-wide ones (IAM roles) and the globally
unique checkpoint bucket also carry the region, so one cluster name can be used in two regions.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..spec import Spec

# AWS limits of the names below (characters), checked by tests for the longest cluster name
# and the longest region name.
LIMITS = {
    "cluster": 255,
    "service": 255,
    "family": 255,
    "log_group": 512,
    "security_group": 255,
    "launch_template": 128,
    "iam_role": 64,
    "instance_profile": 128,
    "iam_policy": 128,
    "scaling_policy": 256,
    "bucket": 63,
    "tag_value": 256,
}

# Logical (Pulumi) names that other layers address, e.g. `--target` of a scale update.
SCALING_TARGET = "training-scaling"
TRAINING_SERVICE = "training-service"
SPOT_FLEET = "spot-fleet"
CHECKPOINT_BUCKET = "checkpoint-bucket"

ACCOUNT_ID_EXAMPLE = "123456789012"  # AWS account ids are always 12 digits


@dataclass(frozen=True)
class Names:
    cluster: str
    training_service: str
    training_family: str
    workers_service: str
    workers_family: str
    log_group: str
    security_group: str
    launch_template: str
    execution_role: str
    task_role: str
    instance_role: str
    instance_profile: str
    fleet_role: str
    checkpoint_policy: str
    cpu_policy: str
    memory_policy: str
    region: str

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
            "security_group": (self.security_group, LIMITS["security_group"]),
            "launch_template": (self.launch_template, LIMITS["launch_template"]),
            "execution_role": (self.execution_role, LIMITS["iam_role"]),
            "task_role": (self.task_role, LIMITS["iam_role"]),
            "instance_role": (self.instance_role, LIMITS["iam_role"]),
            "instance_profile": (self.instance_profile, LIMITS["instance_profile"]),
            "fleet_role": (self.fleet_role, LIMITS["iam_role"]),
            "checkpoint_policy": (self.checkpoint_policy, LIMITS["iam_policy"]),
            "cpu_policy": (self.cpu_policy, LIMITS["scaling_policy"]),
            "memory_policy": (self.memory_policy, LIMITS["scaling_policy"]),
            "checkpoint_bucket": (self.checkpoint_bucket(ACCOUNT_ID_EXAMPLE), LIMITS["bucket"]),
        }


def names_for(spec: Spec) -> Names:
    name, region = spec.name, spec.region
    account_wide = f"{name}-{region}"  # IAM is global to the account: keep regions apart
    return Names(
        cluster=name,
        training_service=f"{name}-training",
        training_family=f"{name}-training",
        workers_service=f"{name}-fleet-workers",
        workers_family=f"{name}-fleet-workers",
        log_group=f"/ftcluster/{name}",
        security_group=f"{name}-tasks",
        launch_template=f"{name}-fleet",
        execution_role=f"{account_wide}-execution",
        task_role=f"{account_wide}-task",
        instance_role=f"{account_wide}-instance",
        instance_profile=f"{account_wide}-instance",
        fleet_role=f"{account_wide}-spot-fleet",
        checkpoint_policy=f"{name}-checkpoints",
        cpu_policy=f"{name}-cpu-target",
        memory_policy=f"{name}-memory-target",
        region=region,
    )
