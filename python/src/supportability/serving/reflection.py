"""Server reflection that also resolves method names, as grpcurl and Postman ask for them.

grpcio's reflection service looks symbols up in the protobuf descriptor pool, and the pool (upb)
finds messages, enums and services but not methods: `grpcurl describe
supportability.v1.PredictionService.PredictCase` got `Symbol not found`. A method's symbol is
answered with the file that defines its service, as the C++ and Go servers do.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import grpc
from grpc_reflection.v1alpha import reflection
from grpc_reflection.v1alpha.reflection_pb2_grpc import add_ServerReflectionServicer_to_server


class _MethodAwareReflection(reflection.aio.ReflectionServicer):
    def _file_containing_symbol(self, request: Any, fully_qualified_name: str) -> Any:
        service, _, method = fully_qualified_name.rpartition(".")
        try:
            if method in self._pool.FindServiceByName(service).methods_by_name:
                fully_qualified_name = service
        except KeyError:
            pass  # not a method: the base class answers (and reports NOT_FOUND if need be)
        return super()._file_containing_symbol(request, fully_qualified_name)


def enable(service_names: Iterable[str], server: grpc.aio.Server) -> None:
    """Serve reflection for `service_names` (and for reflection itself) on `server`."""
    add_ServerReflectionServicer_to_server(_MethodAwareReflection((*service_names, reflection.SERVICE_NAME)), server)
