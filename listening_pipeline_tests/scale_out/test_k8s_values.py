"""Kubernetes without a cluster: the Helm values and the step pods they lead to, checked key by key.

``helm`` is not in Debian's archive and the chart cannot be downloaded here, so the values are
validated with jsonschema against docker/k8s/values.keys.schema.json (the chart's keys in the
sections we set; an unknown key, which the chart would silently ignore, is an error), and the
Kubernetes objects are built with dagster-k8s's own code and the Kubernetes client's models:
the Job the k8s executor would create for a model step and for a CPU step.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from listening_pipeline.defs.execution import GPU_K8S_CONFIG, GPU_MODEL_ASSETS

K8S = Path(__file__).resolve().parents[2] / "docker" / "k8s"


def _values() -> dict[str, Any]:
    return yaml.safe_load((K8S / "values.yaml").read_text(encoding="utf-8"))


def _errors(values: dict[str, Any]) -> list[str]:
    schema = json.loads((K8S / "values.keys.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(values)]


def test_the_helm_values_use_only_keys_the_chart_knows():
    assert _errors(_values()) == []


# A typo in each section a user edits: the chart would render without it, and the setting would be lost.
TYPOS: dict[str, tuple[list[str | int], str]] = {
    "runLauncher.config.k8sRunLauncher.envSecret": (["runLauncher", "config", "k8sRunLauncher"], "envSecrets"),
    "dagster-user-deployments.deployments.0.envSecret": (["dagster-user-deployments", "deployments", 0], "envSecrets"),
    "postgresql.postgresqlHostname": (["postgresql"], "postgresqlHost"),
    "concurrency.runs.maxConcurentRuns": (["concurrency", "runs"], "maxConcurrentRuns"),
    "dagsterDaemon.runCoordinator.config.queuedRunCoordinator.dequeueInterval": (
        ["dagsterDaemon", "runCoordinator", "config", "queuedRunCoordinator"],
        "dequeueIntervalSeconds",
    ),
}


@pytest.mark.parametrize("typo", sorted(TYPOS))
def test_a_misspelled_key_is_caught(typo):
    path, key = TYPOS[typo]
    values = _values()
    section: Any = values
    for part in path:
        section = section[part]
    assert key in section, f"{typo}: the sketch no longer sets {key}"
    section[typo.rsplit(".", 1)[1]] = section.pop(key)
    errors = _errors(values)
    assert errors and any(typo.rsplit(".", 1)[1] in error for error in errors), errors


def test_pod_settings_in_the_values_are_kubernetes_objects():
    """What the chart hands to Kubernetes untouched (resources, run pod config) parses as the
    Kubernetes client's models; an unknown field raises."""
    from dagster_k8s.job import UserDefinedDagsterK8sConfig
    from dagster_k8s.models import k8s_model_from_dict
    from kubernetes.client import V1ResourceRequirements

    values = _values()
    for deployment in values["dagster-user-deployments"]["deployments"]:
        k8s_model_from_dict(V1ResourceRequirements, deployment["resources"])
    run_config = values["runLauncher"]["config"]["k8sRunLauncher"]["runK8sConfig"]
    UserDefinedDagsterK8sConfig(container_config=run_config["containerConfig"])
    with pytest.raises(Exception, match="resourcez"):
        UserDefinedDagsterK8sConfig(container_config={"resourcez": {}})


def _step_job(step_key: str, op_tags: dict[str, Any]) -> dict[str, Any]:
    """The Job manifest the k8s executor builds for one step: the run-config file's step config,
    the step's op tags, its per-step override, merged in the executor's order."""
    from dagster_k8s.container_context import K8sContainerContext
    from dagster_k8s.job import DagsterK8sJobConfig, UserDefinedDagsterK8sConfig, construct_dagster_k8s_job
    from kubernetes.client import ApiClient

    execution = yaml.safe_load((K8S / "run_config.yaml").read_text(encoding="utf-8"))["execution"]["config"]
    context = K8sContainerContext(run_k8s_config=UserDefinedDagsterK8sConfig.from_dict(execution["step_k8s_config"]))
    context = context.merge(K8sContainerContext(run_k8s_config=UserDefinedDagsterK8sConfig.from_dict(op_tags)))
    per_step = execution.get("per_step_k8s_config", {}).get(step_key, {})
    context = context.merge(K8sContainerContext(run_k8s_config=UserDefinedDagsterK8sConfig.from_dict(per_step)))
    job = construct_dagster_k8s_job(
        DagsterK8sJobConfig(
            job_image="registry.example.com/listening-pipeline:0.1.0",
            dagster_home="/opt/dagster/dagster_home",
            image_pull_policy=execution["image_pull_policy"],
            env_secrets=execution["env_secrets"],
        ),
        args=["dagster", "api", "execute_step"],
        job_name=f"dagster-step-{step_key.replace('_', '-')}",
        user_defined_k8s_config=context.run_k8s_config,
        component="step_worker",
    )
    return ApiClient().sanitize_for_serialization(job)


def test_a_model_step_pod_asks_for_a_gpu_node_and_a_cpu_step_pod_does_not():
    transcripts = _step_job("transcripts", copy.deepcopy(GPU_K8S_CONFIG))
    videos = _step_job("videos", {})
    assert "transcripts" in GPU_MODEL_ASSETS and "videos" not in GPU_MODEL_ASSETS

    gpu_pod = transcripts["spec"]["template"]["spec"]
    container = gpu_pod["containers"][0]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert container["resources"]["requests"]["memory"] == "8Gi"  # the op tag over the step default
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in gpu_pod["tolerations"]
    # The run-config file's per-step override (a GKE L4 pool) merged over the op tag's node selector.
    assert gpu_pod["nodeSelector"]["cloud.google.com/gke-accelerator"] == "nvidia-l4"
    assert container["envFrom"] == [{"secretRef": {"name": "listening-pipeline-secrets"}}]

    cpu_pod = videos["spec"]["template"]["spec"]
    assert "nvidia.com/gpu" not in cpu_pod["containers"][0]["resources"].get("limits", {})
    assert not cpu_pod.get("tolerations") and not cpu_pod.get("nodeSelector")
    assert cpu_pod["activeDeadlineSeconds"] == 7200  # the step default reached the pod
