"""fleet.workers.distributed: the Cloud Map namespace and registries, the rendezvous store on on-demand
Fargate, and torchrun's environment in the workers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from program_helpers import US_WEST, as_spot_fleet, example, merged

from ftcluster.errors import UsageError
from ftcluster.offline import OfflinePlan, placeholder
from ftcluster.program import ProgramOptions, effective_counts


def ref(kind: str, name: str) -> str:
    return placeholder(f"{kind} of {name}")


def container(plan: OfflinePlan, task: str) -> dict[str, Any]:
    (only,) = json.loads(plan.by_name(task).inputs["containerDefinitions"])
    return only


def environment(plan: OfflinePlan, task: str) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container(plan, task)["environment"]}


def test_a_private_namespace_in_the_vpc_holds_the_workers_and_the_rendezvous(us_west: OfflinePlan) -> None:
    namespace = us_west.by_name("discovery-namespace").inputs
    assert (namespace["name"], namespace["vpc"]) == ("elastic-llm.ftcluster", ref("id", "vpc"))
    for resource, name in (("workers-discovery", "workers"), ("rendezvous-discovery", "rendezvous")):
        registry = us_west.by_name(resource).inputs
        assert registry["name"] == name
        assert registry["dnsConfig"] == {
            "namespaceId": ref("id", "discovery-namespace"),
            "dnsRecords": [{"ttl": 10, "type": "A"}],  # awsvpc tasks register their own address
            "routingPolicy": "MULTIVALUE",
        }
        assert registry["healthCheckCustomConfig"] == {"failureThreshold": 1} and registry["forceDestroy"] is True
    workers = us_west.by_name("workers-service").inputs
    assert workers["serviceRegistries"] == {"registryArn": ref("ARN", "workers-discovery")}


def test_the_workers_get_torchruns_environment(us_west: OfflinePlan) -> None:
    variables = environment(us_west, "workers-task")
    assert {k: v for k, v in variables.items() if k.startswith("PET_")} == {
        "PET_RDZV_BACKEND": "c10d",
        "PET_RDZV_ENDPOINT": "rendezvous.elastic-llm.ftcluster:29400",
        # the store runs in its own service; the production timeouts (docs/elastic-training.md)
        "PET_RDZV_CONF": "is_host=false,join_timeout=1800,last_call_timeout=15,keep_alive_interval=5,"
        "keep_alive_max_attempt=3",
        "PET_RDZV_ID": "elastic-llm",
        "PET_NNODES": "2:8",
        "PET_NPROC_PER_NODE": "1",  # one GPU per worker
        "PET_MAX_RESTARTS": "10",
    }
    assert variables["TORCH_DISABLE_SHARE_RDZV_TCP_STORE"] == "1"  # a fresh MASTER_ADDR in every round
    assert variables["TORCH_ELASTIC_SHUTDOWN_TIMEOUT"] == "115"  # stop_timeout 120 less the agent's 5 s
    assert variables["PROCESS_GROUP_TIMEOUT_SECONDS"] == "600"
    assert variables["LOGLEVEL"] == "INFO"  # torchrun's restart lines reach CloudWatch
    assert variables["NCCL_SOCKET_IFNAME"] == variables["GLOO_SOCKET_IFNAME"] == "eth0"  # never ecs-eth0
    assert variables["NCCL_DEBUG"] == "WARN" and variables["EPOCHS"] == "20"
    assert variables["CHECKPOINT_URI"] == us_west.exports["checkpoint_uri"]
    assert container(us_west, "workers-task")["command"] == ["torchrun", "-m", "trainer"]
    # the Fargate training tasks are no part of the elastic job
    training = environment(us_west, "training-task")
    assert not {k for k in training if k.startswith(("PET_", "NCCL_", "TORCH_", "PROCESS_GROUP", "LOGLEVEL"))}


def test_the_specs_timeouts_reach_torchrun_and_the_store(plan_for) -> None:
    data = merged(
        example(US_WEST),
        {
            "training": {"stop_timeout": 30, "environment": {"LOGLEVEL": "DEBUG"}},
            "fleet": {
                "workers": {
                    "distributed": {
                        "max_restarts": 2,
                        "join_timeout": 60,
                        "last_call_timeout": 2,
                        "keep_alive_interval": 1,
                        "keep_alive_max_attempt": 4,
                        "process_group_timeout": 10,
                    }
                }
            },
        },
    )
    plan = plan_for(data)
    variables = environment(plan, "workers-task")
    assert variables["PET_RDZV_CONF"] == (
        "is_host=false,join_timeout=60,last_call_timeout=2,keep_alive_interval=1,keep_alive_max_attempt=4"
    )
    assert (variables["PET_MAX_RESTARTS"], variables["PROCESS_GROUP_TIMEOUT_SECONDS"]) == ("2", "10")
    assert variables["TORCH_ELASTIC_SHUTDOWN_TIMEOUT"] == "25"
    assert variables["LOGLEVEL"] == "DEBUG"  # a default the spec may change
    # the store reopens a rendezvous a failure closed once nobody wrote it for the heartbeat expiry and one more
    assert container(plan, "rendezvous-task")["command"][3:] == ["29400", "elastic-llm", "5"]


def test_a_stop_timeout_shorter_than_the_agents_margin_still_gives_the_workers_a_second(plan_for) -> None:
    plan = plan_for(merged(example(US_WEST), {"training": {"stop_timeout": 3}}))
    assert environment(plan, "workers-task")["TORCH_ELASTIC_SHUTDOWN_TIMEOUT"] == "1"


def test_the_users_nccl_settings_win_over_the_defaults(plan_for) -> None:
    data = merged(example(US_WEST), {"training": {"environment": {"NCCL_DEBUG": "INFO", "NCCL_SOCKET_IFNAME": "eth1"}}})
    variables = environment(plan_for(data), "workers-task")
    assert (variables["NCCL_DEBUG"], variables["NCCL_SOCKET_IFNAME"]) == ("INFO", "eth1")
    assert variables["PET_RDZV_BACKEND"] == "c10d"


def test_processes_per_node_follow_the_gpus_unless_the_spec_says(plan_for) -> None:
    four = merged(example(US_WEST), {"fleet": {"workers": {"gpus": 4}, "instance_types": ["g5.12xlarge"]}})
    assert environment(plan_for(four), "workers-task")["PET_NPROC_PER_NODE"] == "4"
    two = merged(four, {"fleet": {"workers": {"distributed": {"procs_per_node": 2}}}})
    assert environment(plan_for(two), "workers-task")["PET_NPROC_PER_NODE"] == "2"


def test_the_rendezvous_store_runs_on_on_demand_fargate_and_hosts_the_c10d_store(us_west: OfflinePlan) -> None:
    task = us_west.by_name("rendezvous-task").inputs
    assert task["requiresCompatibilities"] == ["FARGATE"] and task["networkMode"] == "awsvpc"
    assert task["runtimePlatform"] == {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"}
    assert "taskRoleArn" not in task  # it calls no AWS API
    store = container(us_west, "rendezvous-task")
    assert store["image"] == container(us_west, "workers-task")["image"]  # it has torch
    assert store["portMappings"] == [{"containerPort": 29400, "protocol": "tcp"}]
    program, script, arguments = store["command"][:2], store["command"][2], store["command"][3:]
    assert program == ["python", "-c"]
    assert 'TCPStore("0.0.0.0", port, is_master=True, multi_tenant=True' in script
    assert arguments == ["29400", "elastic-llm", "20"]  # port, job (PET_RDZV_ID), quiet seconds (5 x (3 + 1))
    compile(script, "rendezvous", "exec")  # runnable; tests/drill runs it with real torch
    service = us_west.by_name("rendezvous-service").inputs
    assert service["desiredCount"] == 1
    assert service["capacityProviderStrategies"] == [{"base": 1, "capacityProvider": "FARGATE", "weight": 1}]
    assert service["serviceRegistries"] == {"registryArn": ref("ARN", "rendezvous-discovery")}
    assert service["networkConfiguration"]["securityGroups"] == [ref("id", "tasks-security-group")]
    # never two stores (workers could meet at different ones)
    assert (service["deploymentMaximumPercent"], service["deploymentMinimumHealthyPercent"]) == (100, 0)


def test_the_port_and_architecture_follow_the_spec(plan_for) -> None:
    data = merged(
        example(US_WEST),
        {
            "fleet": {
                "instance_types": ["c7g.4xlarge"],
                "gpu": False,
                "workers": {"gpus": 0, "memory": 8192, "distributed": {"rendezvous_port": 29555}},
            }
        },
    )
    plan = plan_for(data)
    assert plan.by_name("rendezvous-task").inputs["runtimePlatform"]["cpuArchitecture"] == "ARM64"
    assert container(plan, "rendezvous-task")["portMappings"] == [{"containerPort": 29555, "protocol": "tcp"}]
    assert environment(plan, "workers-task")["PET_RDZV_ENDPOINT"] == "rendezvous.elastic-llm.ftcluster:29555"
    assert container(plan, "rendezvous-task")["command"][3] == "29555"  # the store listens there


def test_an_elastic_job_on_a_spot_fleet_gets_the_same_rendezvous(plan_for) -> None:
    plan = plan_for(as_spot_fleet(example(US_WEST)))
    assert plan.by_name("spot-fleet") and plan.by_name("rendezvous-service")
    assert environment(plan, "workers-task")["PET_NNODES"] == "2:8"
    assert plan.by_name("workers-service").inputs["serviceRegistries"] == {
        "registryArn": ref("ARN", "workers-discovery")
    }


def test_without_distributed_there_is_no_namespace_and_no_torchrun_environment(us_east: OfflinePlan) -> None:
    assert not [r for r in us_east.resources if r.type.startswith("aws:servicediscovery/")]
    assert "serviceRegistries" not in us_east.by_name("workers-service").inputs
    assert not {k for k in environment(us_east, "workers-task") if k.startswith("PET_")}
    assert environment(us_east, "workers-task")["NCCL_DEBUG"] == "WARN"  # the spec's own, not a default


def test_a_worker_count_outside_the_jobs_nodes_is_refused(spec_from) -> None:
    spec = spec_from(example(US_WEST))
    assert effective_counts(spec, ProgramOptions(workers=8)).workers == 8
    assert effective_counts(spec, ProgramOptions(workers=0)).workers == 0  # pauses the job
    with pytest.raises(UsageError, match=r"fleet\.workers\.tasks: an elastic job runs 2\.\.8 workers .*; got 9"):
        effective_counts(spec, ProgramOptions(workers=9))
    with pytest.raises(UsageError, match=r"an elastic job runs 2\.\.8 workers .*; got 1"):
        effective_counts(spec, ProgramOptions(workers=1))
