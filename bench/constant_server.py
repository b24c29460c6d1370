"""The bare baseline: a grpcio asyncio server that answers PredictCase with constant bytes.

It registers the service's own method name with raw-bytes handlers (no deserialising, no model),
so it measures what gRPC and Python cost on this machine, and nothing else. The reply is a real
PredictCaseResponse captured from the service, so the bytes on the wire are the same size.

    python bench/constant_server.py --reply-file R --ready-file F   # writes 127.0.0.1:<port> to F
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from pathlib import Path

import grpc

SERVICE = "supportability.v1.PredictionService"
METHOD = "PredictCase"


async def serve(reply: bytes, ready_file: Path) -> None:
    async def predict_case(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        return reply

    # No serializers: the handler sees and returns bytes.
    handler = grpc.method_handlers_generic_handler(
        SERVICE, {METHOD: grpc.unary_unary_rpc_method_handler(predict_case)}
    )
    server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])  # the service's own option
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()

    # Written atomically, as the service does, so a reader never sees half an address.
    tmp = ready_file.with_name(ready_file.name + ".tmp")
    tmp.write_text(f"127.0.0.1:{port}")
    os.replace(tmp, ready_file)

    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await server.stop(grace=1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reply-file", type=Path, required=True, help="serialized PredictCaseResponse")
    parser.add_argument("--ready-file", type=Path, required=True, help="gets host:port once serving")
    args = parser.parse_args()
    asyncio.run(serve(args.reply_file.read_bytes(), args.ready_file))


if __name__ == "__main__":
    main()
