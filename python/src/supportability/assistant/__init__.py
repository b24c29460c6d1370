"""Predictions as tools for an LLM support assistant, over the Model Context Protocol.

`supportability mcp` serves four tools (triage_case, suggest_articles, record_outcome, get_model)
and the help centre's articles as resources, calling the gRPC service or a local `Predictor`.
"""

from supportability.assistant.backend import Backend, LocalBackend, OnlineFigures, RemoteBackend
from supportability.assistant.server import build_server
from supportability.assistant.tools import Tools

__all__ = ["Backend", "LocalBackend", "OnlineFigures", "RemoteBackend", "Tools", "build_server"]
