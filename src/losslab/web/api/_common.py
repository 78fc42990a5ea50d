"""What every API section shares: the JSON error, reading a bounded JSON body, typed field
validation (each error names the field and the allowed range), JSON-safe numbers, and the lock
that serialises work on the engine.

Validation helpers take the request body (a dict) and a field name, and raise :class:`ApiError`
(status 400 unless said otherwise) whose message says what was wrong and what is allowed.

Note:
    losslab's grad mode is thread-local (as PyTorch's), but its random generator
    (``ll.manual_seed``, initial weights, shuffling, dropout) is process-wide: two threads
    building models at once would interleave their draws and lose reproducibility. Every use
    of the engine by the server holds :data:`ENGINE_LOCK`; the training threads take it per
    epoch, so requests wait at most one epoch.
"""
from __future__ import annotations

import json
import math
import threading
from typing import Any, Iterable, Mapping

import numpy as np

__all__ = [
    "ApiError", "ENGINE_LOCK", "read_json", "jsonable", "json_response", "field", "number", "integer",
    "boolean", "choice", "number_list", "interval", "obj", "string",
]

#: Serialises every use of the engine by the server (see the module note).
ENGINE_LOCK = threading.RLock()


class ApiError(Exception):
    """An error answered as ``{"error": {"message", "field"}}`` with an HTTP status (4xx)."""

    def __init__(self, message: str, field: str | None = None, status: int = 400):
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status

    def payload(self) -> dict:
        return {"error": {"message": self.message, "field": self.field}}


# ------------------------------------------------------------------------------------------ JSON
def jsonable(value: Any) -> Any:
    """``value`` with NumPy scalars/arrays turned into Python lists and numbers, tuples into lists,
    and non-finite floats (NaN, ±inf, which JSON cannot hold) into ``None``."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (bool, int, str)) or value is None:
        return value
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return jsonable(float(value))
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    return str(value)


def json_response(data: Any, status: int = 200):
    """A Starlette JSONResponse of :func:`jsonable` ``(data)`` (strict JSON: no NaN)."""
    from starlette.responses import Response

    body = json.dumps(jsonable(data), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return Response(body, status_code=status, media_type="application/json")


async def read_json(request, max_body: int, *, allow_empty: bool = False) -> dict:
    """The request's JSON object, read at most ``max_body`` bytes (413 beyond, before parsing);
    400 for a body that is not JSON or not an object."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > max_body:
                raise ApiError(f"request body of {int(declared)} bytes is larger than the limit of {max_body} bytes",
                               None, 413)
        except ValueError:
            raise ApiError("Content-Length header is not a number") from None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_body:
            raise ApiError(f"request body is larger than the limit of {max_body} bytes", None, 413)
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        if allow_empty:
            return {}
        raise ApiError("the request body is empty; send a JSON object")
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise ApiError("the request body is not UTF-8 text") from None
    except ValueError as e:  # an integer of more than 4300 digits (Python's limit), or nesting too deep
        if not isinstance(e, json.JSONDecodeError):
            raise ApiError(f"malformed JSON: {str(e).split(';')[0]}") from None
        raise ApiError(f"malformed JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    except RecursionError:
        raise ApiError("malformed JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise ApiError(f"the request body must be a JSON object, got a JSON {_kind(data)}")
    return data


def _no_constant(name: str):
    raise ApiError(f"malformed JSON: {name} is not a JSON number (use finite numbers)")


def _kind(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return type(v).__name__


# ------------------------------------------------------------------------------------------ fields
_MISSING = object()


def field(body: Mapping, name: str, default: Any = _MISSING) -> Any:
    """``body[name]``, or ``default`` when absent or null (400 naming it when required)."""
    v = body.get(name, None) if isinstance(body, Mapping) else None
    if v is None:
        if default is _MISSING:
            raise ApiError(f"{name}: required", name)
        return default
    return v


def check_keys(body: Mapping, allowed: Iterable[str], where: str | None = None) -> None:
    """400 for keys of ``body`` not in ``allowed`` (a typo would otherwise be ignored silently)."""
    allowed = list(allowed)
    unknown = sorted(k for k in body if k not in allowed)
    if unknown:
        at = f"{where}." if where else ""
        raise ApiError(f"{at}{unknown[0]}: unknown field; allowed: {', '.join(allowed)}", f"{at}{unknown[0]}")


def number(v: Any, name: str, lo: float = -math.inf, hi: float = math.inf, *, lo_open: bool = False,
           hi_open: bool = False) -> float:
    """``v`` as a finite float in the range (400 naming ``name`` and the range otherwise)."""
    rng = _range_text(lo, hi, lo_open, hi_open)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ApiError(f"{name}: expected a number{rng}, got {_kind(v)} {_short(v)}", name)
    try:
        x = float(v)
    except OverflowError:  # an int beyond the float range
        x = math.inf if v > 0 else -math.inf
    ok = math.isfinite(x) and (x > lo if lo_open else x >= lo) and (x < hi if hi_open else x <= hi)
    if not ok:
        raise ApiError(f"{name}: {_short(v)} is out of range; allowed{rng}", name)
    return x


def integer(v: Any, name: str, lo: int, hi: int) -> int:
    """``v`` as an int in [lo, hi] (a float with an integral value is accepted)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) or (isinstance(v, float) and not v.is_integer()):
        raise ApiError(f"{name}: expected an integer in [{lo}, {hi}], got {_kind(v)} {_short(v)}", name)
    i = int(v)
    if not lo <= i <= hi:
        raise ApiError(f"{name}: {i} is out of range; allowed [{lo}, {hi}]", name)
    return i


def boolean(v: Any, name: str) -> bool:
    if not isinstance(v, bool):
        raise ApiError(f"{name}: expected true or false, got {_kind(v)} {_short(v)}", name)
    return v


def string(v: Any, name: str, max_len: int = 200) -> str:
    if not isinstance(v, str):
        raise ApiError(f"{name}: expected a string, got {_kind(v)} {_short(v)}", name)
    if len(v) > max_len:
        raise ApiError(f"{name}: {len(v)} characters, more than the limit of {max_len}", name)
    return v


def choice(v: Any, name: str, allowed: Iterable[str]) -> str:
    """``v`` if it is one of ``allowed`` (400 listing the valid names otherwise)."""
    allowed = list(allowed)
    if not isinstance(v, str) or v not in allowed:
        import difflib

        close = difflib.get_close_matches(v, allowed, n=3) if isinstance(v, str) else []
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ApiError(f"{name}: unknown name {_short(v)}{hint}; valid names: {', '.join(allowed)}", name)
    return v


def obj(v: Any, name: str) -> dict:
    if not isinstance(v, dict):
        raise ApiError(f"{name}: expected an object, got {_kind(v)} {_short(v)}", name)
    return v


def array(v: Any, name: str, lo: int, hi: int) -> list:
    """``v`` as a list of length in [lo, hi]."""
    if not isinstance(v, list):
        raise ApiError(f"{name}: expected an array of {lo} to {hi} items, got {_kind(v)} {_short(v)}", name)
    if not lo <= len(v) <= hi:
        raise ApiError(f"{name}: {len(v)} items, allowed {lo} to {hi}", name)
    return v


def number_list(v: Any, name: str, lo_len: int, hi_len: int, lo: float = -math.inf, hi: float = math.inf) -> list:
    """A list of finite numbers (each in [lo, hi]) of length in [lo_len, hi_len]."""
    items = array(v, name, lo_len, hi_len)
    return [number(x, f"{name}[{i}]", lo, hi) for i, x in enumerate(items)]


def interval(v: Any, name: str, bound: float) -> tuple[float, float]:
    """``[lo, hi]``: two finite numbers with lo < hi and |lo|, |hi| <= bound."""
    lo, hi = number_list(v, name, 2, 2, -bound, bound)
    if not lo < hi:
        raise ApiError(f"{name}: expected [lo, hi] with lo < hi, got [{lo:g}, {hi:g}]", name)
    return lo, hi


def loss_names_and_params(body: Mapping, default: list, allowed: list) -> tuple[list, dict]:
    """The request's ``losses`` (1 to len(allowed) distinct names from ``allowed``; ``default``
    when absent) and its ``params`` object, whose keys must be among those names."""
    names = field(body, "losses", default)
    if not isinstance(names, list) or not 1 <= len(names) <= len(allowed):
        raise ApiError(f"losses: expected an array of 1 to {len(allowed)} loss names from: {', '.join(allowed)}",
                       "losses")
    names = [choice(n, f"losses[{i}]", allowed) for i, n in enumerate(names)]
    if len(set(names)) != len(names):
        raise ApiError("losses: each loss may appear once", "losses")
    raw_params = obj(field(body, "params", {}), "params")
    check_keys(raw_params, names, "params")
    return names, raw_params


def _range_text(lo, hi, lo_open, hi_open) -> str:
    if lo == -math.inf and hi == math.inf:
        return " (finite)"
    if hi == math.inf:
        return f" {'>' if lo_open else '>='} {lo:g}"
    if lo == -math.inf:
        return f" {'<' if hi_open else '<='} {hi:g}"
    return f" in {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"


def _short(v: Any) -> str:
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) > 10 ** 30:
        return f"an integer of about {len(str(abs(v) // 10 ** 30)) + 30} digits"
    try:
        text = json.dumps(v) if isinstance(v, (dict, list, str, int, float, bool)) or v is None else repr(v)
    except (ValueError, RecursionError):
        text = f"a {_kind(v)}"
    return text if len(text) <= 60 else text[:57] + "..."
