"""What the MCP tests share."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def error_of() -> Callable[[Any], dict[str, Any]]:
    """A tool error's document: the JSON in its second text block."""

    def error(result: Any) -> dict[str, Any]:
        assert result.is_error, result.content
        return json.loads(result.content[1].text)["error"]

    return error
