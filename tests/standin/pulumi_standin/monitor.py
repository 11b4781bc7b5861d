"""The gRPC services the language host talks to during a run: ResourceMonitor and Engine."""

from __future__ import annotations

from concurrent import futures

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2

from .aws import AwsFailure
from .backend import StandinError
from .deploy import Aborted, Deployment, Options
from .protos import engine_pb2, engine_pb2_grpc, resource_pb2, resource_pb2_grpc

_SEVERITY = {
    engine_pb2.DEBUG: "debug",
    engine_pb2.INFO: "info",
    engine_pb2.WARNING: "warning",
    engine_pb2.ERROR: "error",
}
_FEATURES = [
    resource_pb2.RESOURCE_MONITOR_FEATURE_SECRETS,
    resource_pb2.RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES,
    resource_pb2.RESOURCE_MONITOR_FEATURE_DELETED_WITH,
    resource_pb2.RESOURCE_MONITOR_FEATURE_ALIAS_SPECS,
]
_LEGACY_FEATURES = {"secrets", "resourceReferences", "deletedWith", "aliasSpecs"}


def _struct(data: dict) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    json_format.ParseDict(data, message)
    return message


def _dict(message: struct_pb2.Struct) -> dict:
    return json_format.MessageToDict(message)


class ResourceMonitor(resource_pb2_grpc.ResourceMonitorServicer):
    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment

    def _abort(self, context: grpc.ServicerContext) -> None:
        context.abort(grpc.StatusCode.UNAVAILABLE, "resource monitor shut down while waiting on step's done channel")

    def GetDeploymentInfo(self, request, context):
        return resource_pb2.DeploymentInfo(supportedFeatures=_FEATURES)

    def SupportsFeature(self, request, context):
        return resource_pb2.SupportsFeatureResponse(hasSupport=request.id in _LEGACY_FEATURES)

    def RegisterResource(self, request, context):
        try:
            options = Options(
                retain_on_delete=request.retainOnDelete,
                protect=request.protect,
                ignore_changes=list(request.ignoreChanges),
                replace_on_changes=list(request.replaceOnChanges),
                delete_before_replace=request.deleteBeforeReplace if request.deleteBeforeReplaceDefined else None,
                import_id=request.importId,
            )
            urn, resource_id, outputs = self.deployment.register(
                request.type,
                request.name,
                request.parent,
                request.custom,
                _dict(request.object),
                request.provider,
                request.version,
                list(request.dependencies),
                options,
            )
        except Aborted:
            self._abort(context)
        if urn in self.deployment.skipped_creates:
            # pkg/resource/deploy/step.go SameStep.Apply: a skipped create completes with Unknown set, so the SDK
            # resolves its outputs as unknown (and keeps it among the dependencies of what uses them)
            return resource_pb2.RegisterResourceResponse(urn=urn, id="", object=_struct({}), unknown=True)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=resource_id, object=_struct(outputs))

    def ReadResource(self, request, context):
        try:
            urn, outputs = self.deployment.read(
                request.type, request.name, request.parent, request.id, _dict(request.properties)
            )
        except Aborted:
            self._abort(context)
        return resource_pb2.ReadResourceResponse(urn=urn, properties=_struct(outputs))

    def RegisterResourceOutputs(self, request, context):
        self.deployment.register_outputs(request.urn, _dict(request.outputs))
        return empty_pb2.Empty()

    def Invoke(self, request, context):
        try:
            result = self.deployment.invoke(request.tok, _dict(request.args), request.provider)
        except (StandinError, AwsFailure) as err:
            self.deployment.log("error", str(err), "")
            return resource_pb2.ResourceInvokeResponse(
                failures=[resource_pb2.CheckFailure(property="", reason=str(err))]
            )
        return resource_pb2.ResourceInvokeResponse(**{"return": _struct(result)})

    def SignalAndWaitForShutdown(self, request, context):
        return empty_pb2.Empty()

    def RegisterStackTransform(self, request, context):
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "the pulumi stand-in does not run transforms")


class Engine(engine_pb2_grpc.EngineServicer):
    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.root = ""

    def Log(self, request, context):
        severity = _SEVERITY.get(request.severity, "info")
        if severity != "debug":
            self.deployment.log(severity, request.message, request.urn)
        return empty_pb2.Empty()

    def GetRootResource(self, request, context):
        return engine_pb2.GetRootResourceResponse(urn=self.root)

    def SetRootResource(self, request, context):
        self.root = request.urn
        return engine_pb2.SetRootResourceResponse()


def serve(deployment: Deployment) -> tuple[grpc.Server, str]:
    """Start both services on a free loopback port; returns (server, address)."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=64), options=[("grpc.max_receive_message_length", 400 * 1024 * 1024)]
    )
    resource_pb2_grpc.add_ResourceMonitorServicer_to_server(ResourceMonitor(deployment), server)
    engine_pb2_grpc.add_EngineServicer_to_server(Engine(deployment), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, f"127.0.0.1:{port}"
