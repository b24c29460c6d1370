"""Protosets for ghz, built from the descriptors compiled into Python `_pb2` modules.

ghz needs the schema of each call. MLServer ships its V2 dataplane only as `dataplane_pb2` (no
.proto file, no reflection), so the schema is taken from the module itself; the same code serves
our contract, whose modules embed exactly what tools/generate.py compiled. Depends on protobuf
only, so it also runs as a script under MLServer's venv:

    python bench/protoset.py mlserver.grpc.dataplane_pb2 out.protoset
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from google.protobuf import descriptor_pb2
from google.protobuf.descriptor import FileDescriptor


def file_descriptor_set(*files: FileDescriptor) -> descriptor_pb2.FileDescriptorSet:
    """`files` and everything they import, dependencies first."""
    result = descriptor_pb2.FileDescriptorSet()
    seen: set[str] = set()

    def add(file: FileDescriptor) -> None:
        if file.name in seen:
            return
        seen.add(file.name)
        for dependency in file.dependencies:
            add(dependency)
        file.CopyToProto(result.file.add())

    for file in files:
        add(file)
    return result


def write_protoset(module_name: str, path: Path) -> None:
    module = importlib.import_module(module_name)
    path.write_bytes(file_descriptor_set(module.DESCRIPTOR).SerializeToString())


if __name__ == "__main__":
    write_protoset(sys.argv[1], Path(sys.argv[2]))
