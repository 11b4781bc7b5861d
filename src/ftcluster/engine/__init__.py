"""Drive clusters through the Pulumi Automation API: stacks, preview/up/scale/destroy, Ctrl-C, errors.

Importing this package is cheap; pulumi, pulumi_aws and boto3 load when an operation runs.
`cluster_outputs(spec_path, cluster, environ) -> ClusterOutputs` reads a deployed cluster; lifecycle.py
drives deploy, preview, scale and destroy.
"""

from __future__ import annotations

from .outputs import ClusterOutputs, ClusterSummary, cluster_outputs, list_clusters

__all__ = ["ClusterOutputs", "ClusterSummary", "cluster_outputs", "list_clusters"]
