"""(being written)"""

from typing import Any

FUNCS: dict[str, Any] = {}
