"""Save and load nested states (model and optimizer state dicts, checkpoints) without pickle.

``ll.save(obj, path)`` writes one ``.npz`` archive (NumPy's zip of ``.npy`` files): every array
of ``obj`` under the names ``"a0"``, ``"a1"``, … and, under ``"__manifest__"``, a JSON document
(UTF-8 bytes stored as a ``uint8`` array) that describes the structure — dicts, lists, tuples,
Python scalars and strings, and which entry is which array — with the format name and version.
``ll.load(path)`` rebuilds the same structure. Nothing is ever pickled: ``np.load`` runs with
``allow_pickle=False`` and the manifest is parsed as JSON, so loading a file cannot run code.

Writes are atomic: the archive is written to a temporary file in the target's directory, flushed
and ``fsync``-ed, then moved over ``path`` with ``os.replace``. A save that fails (an unsupported
object, a full disk, an interrupt) leaves no temporary file behind and an existing file at
``path`` untouched.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import zipfile
from typing import Any

import numpy as np

from ._atomic import atomic_open
from .autograd.tensor import Tensor

__all__ = ["save", "load", "FORMAT", "VERSION"]

#: The ``format`` entry of every manifest written by :func:`save`.
FORMAT = "losslab.serialization"
#: The manifest version :func:`save` writes; :func:`load` reads versions 1 … ``VERSION``.
VERSION = 1
_MANIFEST = "__manifest__"
_ARRAY_KINDS = "biufc"  # bool, signed/unsigned int, float, complex: what .npy stores without pickle
_SUPPORTED = ("dict (str or int keys), list, tuple, ll.Tensor, numpy arrays and numpy scalars of a "
              "numeric or bool dtype, int, float, bool, str and None")


# ---------------------------------------------------------------------------------------------
# encoding: object -> (JSON node, arrays)
# ---------------------------------------------------------------------------------------------
def _kind_error(path: str, what: str, dtype) -> TypeError:
    return TypeError(f"save: cannot store {what} of dtype {dtype} at {path}: only numeric and bool "
                     "dtypes are stored (object, string, datetime and structured dtypes would need "
                     "pickle); convert it to numbers or keep it outside the saved state")


class _Encoder:
    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self._stack: set[int] = set()  # ids of the containers being encoded (cycle detection)

    def _array(self, arr: np.ndarray) -> dict:
        name = f"a{len(self.arrays)}"
        self.arrays[name] = arr
        return {"array": name, "dtype": arr.dtype.str, "shape": list(arr.shape)}

    def encode(self, obj: Any, path: str) -> dict:
        if isinstance(obj, Tensor):
            return {"type": "tensor", "requires_grad": bool(obj.requires_grad), **self._array(obj.data)}
        if isinstance(obj, np.ndarray):
            if isinstance(obj, np.ma.MaskedArray):
                raise TypeError(f"save: cannot store a masked array at {path} (its mask would be "
                                "lost); save .data and .mask as two arrays")
            if obj.dtype.kind not in _ARRAY_KINDS:
                raise _kind_error(path, "an ndarray", obj.dtype)
            return {"type": "ndarray", **self._array(np.asarray(obj))}
        if isinstance(obj, np.generic):  # before float: np.float64 is a subclass of float
            if obj.dtype.kind not in _ARRAY_KINDS:
                raise _kind_error(path, f"a numpy scalar ({type(obj).__name__})", obj.dtype)
            return {"type": "npscalar", **self._array(np.asarray(obj))}
        if obj is None:
            return {"type": "none"}
        if isinstance(obj, bool):  # before int: bool is a subclass of int
            return {"type": "bool", "value": obj}
        if isinstance(obj, int):
            return {"type": "int", "value": int(obj)}  # JSON integers have no size limit
        if isinstance(obj, float):
            v = float(obj)
            # strict JSON has no NaN/Infinity: non-finite floats are written as text
            return {"type": "float", "value": v if math.isfinite(v) else repr(v)}
        if isinstance(obj, str):
            return {"type": "str", "value": str(obj)}
        if isinstance(obj, dict):
            with self._enter(obj, path):
                items = []
                for key, value in obj.items():
                    kpath = f"{path}[{key!r}]"
                    if isinstance(key, bool) or not isinstance(key, (str, int)):
                        raise TypeError(
                            f"save: dict key {key!r} of type {type(key).__name__} at {kpath}: only "
                            "str and int keys are stored (convert it, e.g. str(key) or int(key))")
                    items.append([key if isinstance(key, str) else int(key), self.encode(value, kpath)])
            return {"type": "dict", "items": items}
        if type(obj) in (list, tuple):
            with self._enter(obj, path):
                values = [self.encode(v, f"{path}[{i}]") for i, v in enumerate(obj)]
            return {"type": type(obj).__name__, "items": values}
        hint = ""
        if hasattr(obj, "state_dict") and callable(obj.state_dict):
            hint = f"; save its state instead: {type(obj).__name__}.state_dict()"
        elif isinstance(obj, (list, tuple)):
            hint = f"; convert it to a plain {'tuple' if isinstance(obj, tuple) else 'list'} first"
        raise TypeError(f"save: cannot store an object of type {type(obj).__module__}."
                        f"{type(obj).__qualname__} at {path}; supported: {_SUPPORTED}{hint}")

    @contextlib.contextmanager
    def _enter(self, obj: Any, path: str):
        if id(obj) in self._stack:
            raise ValueError(f"save: circular reference at {path}: a container holds itself; "
                             "it cannot be written as a tree")
        self._stack.add(id(obj))
        try:
            yield
        finally:
            self._stack.discard(id(obj))


# ---------------------------------------------------------------------------------------------
# paths and files
# ---------------------------------------------------------------------------------------------
def _check_path(path: Any, fn: str) -> str:
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{fn}: path must be a str or os.PathLike, got {type(path).__name__} "
                        f"({path!r:.60})")
    p = os.fspath(path)
    if not isinstance(p, str) or not p:
        raise ValueError(f"{fn}: path must be a non-empty file name, got {path!r}")
    return p


def save(obj: Any, path: str | os.PathLike, *, compress: bool = False) -> str:
    """Write a nested state (dicts, lists, tuples of Tensors, arrays and scalars) to ``path``.

    Format: one ``.npz`` archive; the arrays are stored as ``"a0"``, ``"a1"``, … and the
    structure as a JSON manifest ``{"format": "losslab.serialization", "version": 1,
    "root": node}`` (UTF-8, a ``uint8`` array named ``"__manifest__"``). No pickle.

    Args:
        obj: what to save: a dict (str or int keys; OrderedDict and defaultdict are saved as
            dicts, in order), list, tuple, nested to any depth, of ``ll.Tensor`` (dtype and
            ``requires_grad`` kept; ``.grad`` and the graph are not saved), ``np.ndarray`` and
            NumPy scalars of a numeric or bool dtype (dtype and, for scalars, type kept), ``int``
            (any size), ``float`` (nan and ±inf included), ``bool``, ``str`` and ``None``.
        path: the file to write, used exactly as given (no suffix is added; ``".npz"`` is the
            convention). Its directory must exist.
        compress: deflate the arrays (``np.savez_compressed``): smaller, slower.

    Returns:
        the path written (``os.fspath(path)``).

    Shape:
        arrays keep their shapes and dtypes bit for bit.

    Example:
        >>> import os, tempfile
        >>> import numpy as np
        >>> import losslab as ll
        >>> from losslab.serialization import save, load
        >>> path = os.path.join(tempfile.mkdtemp(), "state.npz")
        >>> state = {"w": ll.tensor([1.0, 2.0], requires_grad=True), "step": 3, 0: (np.int64(7), None)}
        >>> _ = save(state, path)
        >>> back = load(path)
        >>> back["w"], back["step"], back[0]
        (tensor([1., 2.], requires_grad=True), 3, (np.int64(7), None))

    Note:
        * The write is atomic: a temporary file in the same directory, flushed and ``fsync``-ed,
          then ``os.replace``-d over ``path``. On any error (an unsupported object found while
          encoding, a failed write, KeyboardInterrupt) the temporary file is removed and an
          existing file at ``path`` is left as it was. An existing file's permission bits are
          kept; a new file gets the usual ``0o666 & ~umask``.
        * Unlike ``np.savez``, ``save`` never appends ``".npz"``: ``save(x, "run")`` writes the
          file ``run`` and ``load("run")`` reads it (as ``torch.save``/``torch.load`` do). ``load``
          mentions ``"run.npz"`` in its error if only that exists.
        * Objects that appear several times (tied weights) are stored once per appearance and
          load as independent copies. A Parameter loads as a plain Tensor (with
          ``requires_grad=True``). Tuple and list subclasses (namedtuples) are refused rather
          than silently loaded as plain tuples.
        * Unlike ``torch.save``, arbitrary Python objects cannot be saved: that needs pickle,
          which can run code when loaded.

    Raises:
        TypeError: an unsupported object or dict key (the message names its place, e.g.
            ``obj['state'][0]['exp_avg']``), or a path that is not a str/PathLike.
        ValueError: a container that holds itself; an empty path.
        FileNotFoundError: the directory of ``path`` does not exist.
        IsADirectoryError: ``path`` is a directory.
    """
    p = _check_path(path, "save")
    enc = _Encoder()
    root = enc.encode(obj, "obj")  # fails before anything touches the disk
    manifest = {"format": FORMAT, "version": VERSION, "root": root}
    text = json.dumps(manifest, allow_nan=False, ensure_ascii=True, separators=(",", ":"))
    arrays = dict(enc.arrays)
    arrays[_MANIFEST] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)

    directory = os.path.dirname(os.path.abspath(p))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"save: the directory {directory!r} of {p!r} does not exist; "
                                "create it first")
    if os.path.isdir(p):
        raise IsADirectoryError(f"save: {p!r} is a directory; give a file name such as "
                                f"{os.path.join(p, 'state.npz')!r}")
    with atomic_open(p, "wb") as fh:
        (np.savez_compressed if compress else np.savez)(fh, **arrays)
    return p


# ---------------------------------------------------------------------------------------------
# decoding: (JSON node, arrays) -> object
# ---------------------------------------------------------------------------------------------
class _Decoder:
    def __init__(self, npz, path: str) -> None:
        self.npz = npz
        self.names = set(npz.files)
        self.path = path

    def _bad(self, where: str, what: str) -> ValueError:
        return ValueError(f"load: {self.path!r} is corrupt or not a losslab file: {what} at {where}")

    def _array(self, node: dict, where: str) -> np.ndarray:
        name = node.get("array")
        if not isinstance(name, str) or name == _MANIFEST:
            raise self._bad(where, f"an array entry without a valid array name ({name!r})")
        if name not in self.names:
            raise ValueError(f"load: {self.path!r} is incomplete: the manifest refers to array "
                             f"{name!r} (at {where}) but the archive has no such array")
        try:
            arr = self.npz[name]
        except ValueError as e:  # e.g. an object array, refused with allow_pickle=False
            raise self._bad(where, f"array {name!r} cannot be read without pickle ({e})") from None
        if not isinstance(arr, np.ndarray) or arr.dtype.kind not in _ARRAY_KINDS:
            raise self._bad(where, f"array {name!r} is not a numeric array")
        if node.get("dtype") != arr.dtype.str or node.get("shape") != list(arr.shape):
            raise self._bad(where, f"array {name!r} has dtype {arr.dtype.str} and shape "
                                   f"{list(arr.shape)}, the manifest says {node.get('dtype')} and "
                                   f"{node.get('shape')}")
        return arr

    def decode(self, node: Any, where: str) -> Any:
        if not isinstance(node, dict) or not isinstance(node.get("type"), str):
            raise self._bad(where, f"a manifest entry that is not a typed node ({node!r:.60})")
        kind = node["type"]
        if kind == "tensor":
            arr = self._array(node, where)
            rg = node.get("requires_grad")
            if not isinstance(rg, bool) or (rg and arr.dtype.kind != "f") or arr.dtype.kind == "c":
                raise self._bad(where, f"a tensor of dtype {arr.dtype} with requires_grad={rg!r}")
            return Tensor(arr, requires_grad=rg)
        if kind == "ndarray":
            return self._array(node, where)
        if kind == "npscalar":
            arr = self._array(node, where)
            if arr.ndim != 0:
                raise self._bad(where, f"a numpy scalar stored with shape {arr.shape}")
            return arr[()]
        if kind == "none":
            return None
        if kind in ("bool", "int", "str"):
            value = node.get("value")
            want = {"bool": bool, "int": int, "str": str}[kind]
            if not isinstance(value, want) or (kind == "int" and isinstance(value, bool)):
                raise self._bad(where, f"a {kind} entry holding {value!r:.60}")
            return value
        if kind == "float":
            value = node.get("value")
            if isinstance(value, str) and value in ("nan", "inf", "-inf"):
                return float(value)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
            raise self._bad(where, f"a float entry holding {value!r:.60}")
        if kind in ("list", "tuple"):
            items = node.get("items")
            if not isinstance(items, list):
                raise self._bad(where, f"a {kind} entry without items")
            values = [self.decode(v, f"{where}[{i}]") for i, v in enumerate(items)]
            return values if kind == "list" else tuple(values)
        if kind == "dict":
            items = node.get("items")
            if not isinstance(items, list):
                raise self._bad(where, "a dict entry without items")
            out: dict = {}
            for pair in items:
                if (not isinstance(pair, list) or len(pair) != 2 or isinstance(pair[0], bool)
                        or not isinstance(pair[0], (str, int))):
                    raise self._bad(where, f"a dict item that is not a [str|int key, value] pair "
                                           f"({pair!r:.60})")
                out[pair[0]] = self.decode(pair[1], f"{where}[{pair[0]!r}]")
            return out
        raise self._bad(where, f"an entry of unknown type {kind!r}")


def _read_manifest(npz, path: str) -> dict:
    raw = npz[_MANIFEST]
    if not isinstance(raw, np.ndarray) or raw.dtype != np.uint8 or raw.ndim != 1:
        raise ValueError(f"load: {path!r} is not a losslab file: its {_MANIFEST!r} entry is not a "
                         "uint8 byte array")
    try:
        manifest = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"load: {path!r} is not a losslab file: its manifest is not valid JSON "
                         f"({e})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        got = manifest.get("format") if isinstance(manifest, dict) else type(manifest).__name__
        raise ValueError(f"load: {path!r} is not a losslab file: manifest format {got!r}, "
                         f"expected {FORMAT!r}")
    version = manifest.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"load: {path!r} has an invalid format version {version!r} (expected an "
                         f"int from 1 to {VERSION})")
    if version > VERSION:
        raise ValueError(f"load: {path!r} was written with format version {version}, newer than "
                         f"this losslab reads ({VERSION}); upgrade losslab to read it")
    if "root" not in manifest:
        raise ValueError(f"load: {path!r} is corrupt: its manifest has no 'root' entry")
    return manifest


def load(path: str | os.PathLike) -> Any:
    """Read a file written by :func:`save` and return the same nested structure.

    Formula: the inverse of :func:`save`: ``load(save(obj, p)) == obj`` with types kept —
    Tensors come back as Tensors (dtype and ``requires_grad``), ndarrays as ndarrays, NumPy
    scalars as NumPy scalars of the same type, tuples as tuples, int keys as ints, big ints
    exactly, nan and ±inf as floats.

    Args:
        path: the file to read, used exactly as given (no ``".npz"`` is appended).

    Shape:
        every array has the shape and dtype it was saved with.

    Example:
        >>> import os, tempfile
        >>> import losslab as ll, losslab.nn as nn
        >>> from losslab.serialization import save, load
        >>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
        >>> model = nn.Linear(3, 2)
        >>> _ = save(model.state_dict(), path)
        >>> fresh = nn.Linear(3, 2)
        >>> _ = fresh.load_state_dict(load(path))
        >>> bool((fresh.weight.data == model.weight.data).all())
        True

    Note:
        Reading uses ``np.load(path, allow_pickle=False)`` and ``json.loads``: a file cannot make
        ``load`` run code (``torch.load`` needs ``weights_only=True`` for that). Every manifest
        entry is validated: its array must exist with the recorded dtype and shape.

    Raises:
        FileNotFoundError: no such file (the message names ``path + '.npz'`` if that exists).
        IsADirectoryError: ``path`` is a directory.
        ValueError: the file is not a losslab file (not an ``.npz`` archive, a ``.npz`` without
            a losslab manifest, another format name), was written by a newer format version,
            or is incomplete or corrupt (a missing array, a dtype or shape that differs from the
            manifest, a malformed manifest).
        TypeError: ``path`` is not a str/PathLike.
    """
    p = _check_path(path, "load")
    if not os.path.exists(p):
        hint = ""
        if os.path.exists(p + ".npz"):
            hint = f"; {p + '.npz'!r} exists (save and load never add the suffix): pass that path"
        raise FileNotFoundError(f"load: no such file {p!r}{hint}")
    if os.path.isdir(p):
        raise IsADirectoryError(f"load: {p!r} is a directory, not a file written by ll.save")
    with open(p, "rb") as fh:
        magic = fh.read(6)
    if not magic.startswith((b"PK\x03\x04", b"PK\x05\x06")):  # zip local header / empty zip
        if not magic:
            what = "the file is empty"
        elif magic.startswith(b"\x93NUMPY"):
            what = "it is a single NumPy .npy array (read it with np.load)"
        else:
            what = "it is not an .npz (zip) archive"
        raise ValueError(f"load: {p!r} is not a losslab file: {what}")
    try:
        with np.load(p, allow_pickle=False) as npz:
            if _MANIFEST not in npz.files:
                shown = ", ".join(sorted(npz.files)[:8]) + (", ..." if len(npz.files) > 8 else "")
                raise ValueError(f"load: {p!r} is an .npz archive but not a losslab file: it has no "
                                 f"{_MANIFEST!r} entry (arrays: {shown or 'none'}); read a plain "
                                 "archive with np.load")
            manifest = _read_manifest(npz, p)
            return _Decoder(npz, p).decode(manifest["root"], "obj")
    except (zipfile.BadZipFile, EOFError) as e:
        raise ValueError(f"load: {p!r} is not a readable losslab file: the archive is damaged "
                         f"(truncated or overwritten?): {e}") from None
