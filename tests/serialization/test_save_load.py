"""ll.save / ll.load: round trips that keep types, refusals that name the place, atomic writes,
validation of what is read, and the training states a checkpoint holds."""
from __future__ import annotations

import collections
import doctest
import json
import math
import os
import stat
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import losslab as ll
import losslab.nn as nn
import losslab.optim as optim
import losslab.serialization as S
from losslab.optim.lr_scheduler import CosineAnnealingLR, OneCycleLR
from losslab.serialization import load, save


# ---------------------------------------------------------------------------------------------
# exact comparison (types, dtypes, bits)
# ---------------------------------------------------------------------------------------------
def same(a, b, where="obj"):
    """Assert a and b are the same tree: same types, same dtypes and bytes, same key order."""
    if isinstance(a, ll.Tensor):
        assert type(b) is ll.Tensor, f"{where}: {type(b)} is not a Tensor"
        assert b.requires_grad == a.requires_grad, where
        assert b.grad is None, where
        return same(a.data, b.data, where)
    assert type(a) is type(b) or (isinstance(a, dict) and type(b) is dict), \
        f"{where}: {type(a).__name__} came back as {type(b).__name__}"
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, (where, a.dtype, b.dtype, a.shape, b.shape)
        assert np.ascontiguousarray(a).tobytes() == b.tobytes(), where
    elif isinstance(a, np.generic):
        assert a.dtype == b.dtype and np.asarray(a).tobytes() == np.asarray(b).tobytes(), where
    elif isinstance(a, float):
        if math.isnan(a):
            assert math.isnan(b), where
        else:
            assert a == b and math.copysign(1, a) == math.copysign(1, b), (where, a, b)
    elif isinstance(a, dict):
        assert [(type(k), k) for k in a] == [(type(k), k) for k in b], where
        for k in a:
            same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{where}[{i}]")
    else:
        assert a == b, (where, a, b)


def roundtrip(obj, tmp_path, name="state.npz", **kw):
    path = tmp_path / name
    assert save(obj, path, **kw) == os.fspath(path)
    return load(path)


# ---------------------------------------------------------------------------------------------
# round trips
# ---------------------------------------------------------------------------------------------
LEAVES = {
    "none": None, "true": True, "false": False, "zero": 0, "neg": -17, "big": 2**200 + 1,
    "negbig": -(2**64) - 3, "float": 0.1, "negzero": -0.0, "nan": math.nan, "inf": math.inf,
    "-inf": -math.inf, "tiny": 5e-324, "huge": 1.7976931348623157e308, "str": "héllo ☃ \n\"{}\"",
    "empty_str": "",
    "f16": np.float16(1.5), "f32": np.float32(0.1), "f64": np.float64(-0.25), "i8": np.int8(-5),
    "u64": np.uint64(2**64 - 1), "i64": np.int64(-(2**63)), "bool_": np.bool_(True),
    "c128": np.complex128(1 - 2j), "f32nan": np.float32("nan"),
    "arr_f32": np.arange(6, dtype=np.float32).reshape(2, 3), "arr_0d": np.array(3.5),
    "arr_empty": np.zeros((0, 4)), "arr_bool": np.array([True, False]), "arr_u8": np.arange(5, dtype=np.uint8),
    "arr_c64": np.array([1j, 2], dtype=np.complex64), "arr_f16": np.array([1, 2], dtype=np.float16),
    "arr_big_endian": np.arange(3, dtype=">i4"), "arr_fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
    "arr_view": np.arange(10.0)[::3],
    "t_f32": ll.tensor([1.0, 2.0]), "t_f64_grad": ll.tensor([[1.0]], dtype=ll.float64, requires_grad=True),
    "t_i64": ll.tensor([1, 2, 3]), "t_bool": ll.tensor([True]), "t_0d": ll.tensor(2.0, requires_grad=True),
}


@pytest.mark.parametrize("name", list(LEAVES))
def test_every_supported_leaf_round_trips_with_its_type(name, tmp_path):
    obj = LEAVES[name]
    same(obj, roundtrip(obj, tmp_path))  # alone, as the root
    same({"x": [obj, (obj,)]}, roundtrip({"x": [obj, (obj,)]}, tmp_path))  # nested


def test_containers_keep_kind_order_and_key_types(tmp_path):
    obj = collections.OrderedDict([("b", 1), (2, [1, (2, 3)]), ("2", ()), ("a", []), (-(2**80), {})])
    back = roundtrip(obj, tmp_path)
    assert type(back) is dict and list(back) == ["b", 2, "2", "a", -(2**80)]
    assert back[2] == [1, (2, 3)] and type(back[2][1]) is tuple and back["2"] == () and back["a"] == []
    dd = collections.defaultdict(dict, {0: {"step": 1}})
    assert roundtrip(dd, tmp_path) == {0: {"step": 1}}


def test_loaded_arrays_are_independent_writeable_copies(tmp_path):
    w = ll.tensor([1.0, 2.0], requires_grad=True)
    arr = np.arange(3.0)
    path = tmp_path / "s.npz"
    save({"w": w, "a": arr}, path)
    with ll.no_grad():
        w.data[0] = 99.0
    arr[0] = 99.0
    back = load(path)
    assert back["w"].data[0] == 1.0 and back["a"][0] == 0.0
    back["a"][1] = 5.0  # writeable
    assert back["w"].is_leaf and back["w"].grad is None


def test_parameter_loads_as_tensor_and_grad_is_not_saved(tmp_path):
    p = nn.Parameter(ll.ones(2))
    (p * 3).sum().backward()
    back = roundtrip({"p": p}, tmp_path)["p"]
    assert type(back) is ll.Tensor and back.requires_grad and back.grad is None
    np.testing.assert_array_equal(back.data, p.data)


# hypothesis: random nested structures --------------------------------------------------------
DTYPES = [np.float16, np.float32, np.float64, np.int8, np.int32, np.int64, np.uint8, np.uint64,
          np.bool_, np.complex64, np.complex128]
arrays = st.sampled_from(DTYPES).flatmap(
    lambda dt: hnp.arrays(dt, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)))
tensors = st.tuples(
    hnp.arrays(st.sampled_from([np.float32, np.float64, np.int64, np.bool_]),
               hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3)),
    st.booleans(),
).map(lambda t: ll.tensor(t[0], requires_grad=t[1] and t[0].dtype.kind == "f"))
np_scalars = st.sampled_from(DTYPES).flatmap(lambda dt: hnp.from_dtype(np.dtype(dt)).map(lambda v: np.asarray(v, dtype=dt)[()]))
leaves = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**130), max_value=2**130),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8), arrays, tensors, np_scalars,
)
keys = st.one_of(st.text(max_size=6), st.integers(min_value=-(2**70), max_value=2**70))
trees = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=4).map(tuple),
        st.dictionaries(keys, children, max_size=4),
    ),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(obj=trees, compress=st.booleans())
def test_random_nested_structures_round_trip_exactly(obj, compress, tmp_path_factory):
    d = tmp_path_factory.mktemp("hyp")
    same(obj, roundtrip(obj, d, compress=compress))


# ---------------------------------------------------------------------------------------------
# refusals name the place
# ---------------------------------------------------------------------------------------------
class _Point(collections.namedtuple("_Point", "x y")):
    pass


@pytest.mark.parametrize("obj, where, words", [
    ({"a": [1, {"b": object()}]}, "obj['a'][1]['b']", "object"),
    ({"a": {1.5: 2}}, "obj['a'][1.5]", "float"),
    ({"a": {(1, 2): 2}}, "obj['a'][(1, 2)]", "tuple"),
    ({True: 1}, "obj[True]", "bool"),
    ({None: 1}, "obj[None]", "NoneType"),
    ({"x": np.array([1, "a"], dtype=object)}, "obj['x']", "dtype object"),
    ({"x": np.array(["a", "b"])}, "obj['x']", "<U1"),
    ({"x": np.str_("a")}, "obj['x']", "numpy scalar"),
    ({"x": np.datetime64("2020-01-01")}, "obj['x']", "datetime64"),
    ({"x": np.zeros(2, dtype=[("a", "f8")])}, "obj['x']", "dtype"),
    ([1, {1, 2}], "obj[1]", "set"),
    ([b"bytes"], "obj[0]", "bytes"),
    ([1j], "obj[0]", "complex"),
    ({"p": _Point(1, 2)}, "obj['p']", "tuple"),
    ({"m": np.ma.masked_array([1.0], mask=[True])}, "obj['m']", "mask"),
    ({"model": nn.Linear(2, 1)}, "obj['model']", "state_dict()"),
])
def test_unsupported_objects_and_keys_raise_typeerror_naming_the_path(obj, where, words, tmp_path):
    with pytest.raises(TypeError) as e:
        save(obj, tmp_path / "x.npz")
    assert where in str(e.value) and words in str(e.value)
    assert os.listdir(tmp_path) == []


def test_circular_reference_is_refused(tmp_path):
    a: list = [1]
    a.append({"self": a})
    with pytest.raises(ValueError, match=r"circular reference at obj\[1\]\['self'\]"):
        save(a, tmp_path / "x.npz")
    shared = [1, 2]
    back = roundtrip({"a": shared, "b": shared}, tmp_path)  # shared, not circular: fine (copies)
    assert back == {"a": [1, 2], "b": [1, 2]} and back["a"] is not back["b"]


# ---------------------------------------------------------------------------------------------
# atomic writes
# ---------------------------------------------------------------------------------------------
def _existing(tmp_path):
    path = tmp_path / "ckpt.npz"
    save({"epoch": 1, "w": np.arange(3.0)}, path)
    return path, path.read_bytes()


def test_failed_encoding_deep_in_the_structure_writes_nothing(tmp_path):
    path, before = _existing(tmp_path)
    bad = {"epoch": 2, "w": np.arange(1000.0), "deep": [{"x": [1, 2, {"y": lambda: 0}]}]}
    with pytest.raises(TypeError, match=r"obj\['deep'\]\[0\]\['x'\]\[2\]\['y'\]"):
        save(bad, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["ckpt.npz"]
    assert load(path)["epoch"] == 1


@pytest.mark.parametrize("exc", [OSError("disk full"), KeyboardInterrupt()])
def test_failure_midway_through_writing_removes_the_temp_file_and_keeps_the_old(tmp_path, monkeypatch, exc):
    path, before = _existing(tmp_path)
    seen = []
    import losslab._atomic as atomic_mod  # the one atomic writer behind save()
    real_mkstemp = atomic_mod.tempfile.mkstemp
    monkeypatch.setattr(atomic_mod.tempfile, "mkstemp",
                        lambda **kw: (lambda r: (seen.append(r[1]), r)[1])(real_mkstemp(**kw)))

    def broken_savez(fh, **arrays):
        fh.write(b"PK\x03\x04 half an archive")  # some bytes reach the temp file, then it fails
        raise exc

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(type(exc)):
        save({"epoch": 2, "w": np.zeros(3)}, path)
    assert seen and os.path.dirname(seen[0]) == str(tmp_path)  # the temp file was in the same dir
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["ckpt.npz"]


def test_failure_at_fsync_or_rename_keeps_the_old_file(tmp_path, monkeypatch):
    path, before = _existing(tmp_path)
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError("I/O error")))
    with pytest.raises(OSError, match="I/O error"):
        save({"epoch": 2}, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["ckpt.npz"]
    monkeypatch.undo()
    monkeypatch.setattr(os, "replace", lambda a, b: (_ for _ in ()).throw(PermissionError("nope")))
    with pytest.raises(PermissionError):
        save({"epoch": 2}, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["ckpt.npz"]


def test_write_goes_through_fsync_and_os_replace_from_the_same_directory(tmp_path, monkeypatch):
    calls = []
    real_replace, real_fsync = os.replace, os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(("fsync", fd)), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (calls.append(("replace", a, b)), real_replace(a, b))[1])
    path = tmp_path / "m.npz"
    save({"a": 1}, path)
    kinds = [c[0] for c in calls]
    assert kinds.index("fsync") < kinds.index("replace")
    _, src, dst = next(c for c in calls if c[0] == "replace")
    assert os.path.dirname(src) == str(tmp_path) and dst == os.fspath(path) and not os.path.exists(src)


def test_permissions_of_an_existing_file_are_kept_new_files_follow_umask(tmp_path):
    path, _ = _existing(tmp_path)
    os.chmod(path, 0o640)
    save({"epoch": 2}, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    new = tmp_path / "new.npz"
    save({}, new)
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(new).st_mode) == 0o666 & ~umask


# ---------------------------------------------------------------------------------------------
# paths
# ---------------------------------------------------------------------------------------------
def test_path_is_used_exactly_as_given_no_suffix_added(tmp_path):
    save({"a": 1}, tmp_path / "run")
    assert os.listdir(tmp_path) == ["run"]
    assert load(str(tmp_path / "run")) == {"a": 1}
    save({"a": 2}, str(tmp_path / "model.ckpt"))
    assert load(tmp_path / "model.ckpt") == {"a": 2}


def test_load_hints_at_the_npz_suffix(tmp_path):
    save({"a": 1}, tmp_path / "run.npz")
    with pytest.raises(FileNotFoundError, match=r"run\.npz.*exists"):
        load(tmp_path / "run")


@pytest.mark.parametrize("fn", ["save", "load"])
def test_bad_paths(fn, tmp_path):
    call = (lambda p: save({}, p)) if fn == "save" else load
    with pytest.raises(TypeError, match="path must be a str"):
        call(123)
    with pytest.raises(TypeError, match="path must be a str"):
        call(b"x.npz")
    with pytest.raises(ValueError, match="non-empty"):
        call("")
    with pytest.raises(IsADirectoryError):
        call(tmp_path)
    with pytest.raises(FileNotFoundError):
        call(tmp_path / "no_such_dir" / "x.npz")


# ---------------------------------------------------------------------------------------------
# what load accepts
# ---------------------------------------------------------------------------------------------
def _write_npz(path, manifest=None, **arrays):
    if manifest is not None:
        text = manifest if isinstance(manifest, str) else json.dumps(manifest)
        arrays["__manifest__"] = np.frombuffer(text.encode(), dtype=np.uint8)
    np.savez(path, **arrays)


def test_file_layout_is_npz_with_a_json_manifest(tmp_path):
    path = tmp_path / "s.npz"
    save({"w": ll.tensor([1.0, 2.0]), "v": float("nan"), "n": 2**70}, path)
    with zipfile.ZipFile(path) as z:
        assert sorted(z.namelist()) == ["__manifest__.npy", "a0.npy"]
    with np.load(path, allow_pickle=False) as npz:
        man = npz["__manifest__"]
        assert man.dtype == np.uint8
        text = man.tobytes().decode("utf-8")

    def no_constants(c):
        raise AssertionError(f"non-standard JSON constant {c}")

    doc = json.loads(text, parse_constant=no_constants)  # strict JSON: no NaN/Infinity tokens
    assert doc["format"] == S.FORMAT == "losslab.serialization" and doc["version"] == S.VERSION == 1
    items = dict((k, v) for k, v in doc["root"]["items"])
    assert items["w"] == {"type": "tensor", "requires_grad": False, "array": "a0", "dtype": "<f4", "shape": [2]}
    assert items["v"] == {"type": "float", "value": "nan"} and items["n"]["value"] == 2**70


@pytest.mark.parametrize("content, match", [
    (b"", "empty"),
    (b"hello, this is text", r"not an \.npz"),
    (b"\x80\x04\x95pickle", r"not an \.npz"),
])
def test_files_that_are_not_archives_are_refused(tmp_path, content, match):
    p = tmp_path / "x.npz"
    p.write_bytes(content)
    with pytest.raises(ValueError, match=match):
        load(p)


def test_a_single_npy_and_a_plain_npz_are_refused(tmp_path):
    np.save(tmp_path / "a.npy", np.arange(3))
    with pytest.raises(ValueError, match=r"single NumPy \.npy"):
        load(tmp_path / "a.npy")
    np.savez(tmp_path / "plain.npz", w=np.arange(3))
    with pytest.raises(ValueError, match=r"no '__manifest__' entry \(arrays: w\)"):
        load(tmp_path / "plain.npz")


@pytest.mark.parametrize("manifest, match", [
    ({"format": "something.else", "version": 1, "root": {"type": "none"}}, "not a losslab file.*something.else"),
    ({"version": 1, "root": {"type": "none"}}, "not a losslab file"),
    ({"format": "losslab.serialization", "version": 2, "root": {"type": "none"}}, "newer"),
    ({"format": "losslab.serialization", "version": 0, "root": {"type": "none"}}, "invalid format version"),
    ({"format": "losslab.serialization", "version": "1", "root": {"type": "none"}}, "invalid format version"),
    ({"format": "losslab.serialization", "version": 1}, "no 'root'"),
    ("{not json", "not valid JSON"),
    ("[1, 2]", "not a losslab file"),
    ({"format": "losslab.serialization", "version": 1, "root": {"type": "ndarray", "array": "a5", "dtype": "<f8", "shape": [3]}},
     r"incomplete.*'a5'"),
    ({"format": "losslab.serialization", "version": 1, "root": {"type": "ndarray", "array": "a0", "dtype": "<f4", "shape": [3]}},
     "dtype"),
    ({"format": "losslab.serialization", "version": 1, "root": {"type": "ndarray", "array": "a0", "dtype": "<f8", "shape": [4]}},
     "shape"),
    ({"format": "losslab.serialization", "version": 1, "root": {"type": "mystery"}}, "unknown type 'mystery'"),
    ({"format": "losslab.serialization", "version": 1, "root": {"type": "int", "value": "7"}}, "int entry"),
    ({"format": "losslab.serialization", "version": 1, "root": {"type": "float", "value": "1e5"}}, "float entry"),
    ({"format": "losslab.serialization", "version": 1, "root": {"type": "dict", "items": [[1.5, {"type": "none"}]]}},
     "dict item"),
    ({"format": "losslab.serialization", "version": 1, "root": {"type": "list"}}, "without items"),
    ({"format": "losslab.serialization", "version": 1,
      "root": {"type": "tensor", "requires_grad": True, "array": "a1", "dtype": "<i8", "shape": [2]}}, "requires_grad"),
    ({"format": "losslab.serialization", "version": 1,
      "root": {"type": "npscalar", "array": "a0", "dtype": "<f8", "shape": [3]}}, "numpy scalar"),
])
def test_manifest_is_validated(tmp_path, manifest, match):
    p = tmp_path / "bad.npz"
    _write_npz(p, manifest, a0=np.zeros(3), a1=np.array([1, 2]))
    with pytest.raises(ValueError, match=match):
        load(p)


def test_manifest_must_be_a_uint8_vector(tmp_path):
    p = tmp_path / "bad.npz"
    np.savez(p, __manifest__=np.zeros(3))
    with pytest.raises(ValueError, match="uint8"):
        load(p)


def test_truncated_file_is_reported_as_damaged(tmp_path):
    path = tmp_path / "s.npz"
    save({"w": np.arange(1000.0)}, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="damaged|corrupt|not a losslab"):
        load(path)


_PICKLE_RAN: list = []


class _Trap:
    """If anything unpickled this, _PICKLE_RAN would grow."""

    def __reduce__(self):
        return (_PICKLE_RAN.append, ("ran",))


def test_load_never_unpickles(tmp_path, monkeypatch):
    p = tmp_path / "evil.npz"
    man = {"format": "losslab.serialization", "version": 1,
           "root": {"type": "ndarray", "array": "a0", "dtype": "|O", "shape": [1]}}
    arr = np.empty(1, dtype=object)
    arr[0] = _Trap()
    np.savez(p, a0=arr, __manifest__=np.frombuffer(json.dumps(man).encode(), dtype=np.uint8))
    seen = []
    real = np.load
    monkeypatch.setattr(np, "load", lambda *a, **k: (seen.append(k.get("allow_pickle")), real(*a, **k))[1])
    with pytest.raises(ValueError, match="without pickle"):
        load(p)
    assert _PICKLE_RAN == [] and seen == [False]


# ---------------------------------------------------------------------------------------------
# training states
# ---------------------------------------------------------------------------------------------
def _mlp(seed):
    ll.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))


def test_module_state_dict_round_trip_into_a_fresh_model(tmp_path):
    model = _mlp(0)
    sd = model.state_dict()
    back = roundtrip(sd, tmp_path)
    assert list(back) == list(sd) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    fresh = _mlp(1)
    assert not np.array_equal(fresh[0].weight.data, model[0].weight.data)
    fresh.load_state_dict(back)
    for (k, a), b in zip(model.state_dict().items(), fresh.state_dict().values()):
        assert a.dtype == b.dtype and np.array_equal(a.data, b.data), k
    x = ll.randn(5, 3)
    np.testing.assert_array_equal(model(x).data, fresh(x).data)


def _batches(n=6):
    rng = np.random.default_rng(7)
    return [(ll.tensor(rng.standard_normal((8, 3)).astype(np.float32)),
             ll.tensor(rng.standard_normal((8, 2)).astype(np.float32))) for _ in range(n)]


def _train(model, opt, batches, sched=None):
    for x, y in batches:
        opt.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        opt.step()
        if sched is not None:
            sched.step()


@pytest.mark.parametrize("make", [
    lambda ps: optim.Adam(ps, lr=0.01),
    lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True, weight_decay=0.1),
    lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
], ids=["adam", "adam-amsgrad", "sgd-nesterov"])
def test_optimizer_state_dict_resumes_bit_identically(tmp_path, make):
    batches = _batches(6)
    ref_model = _mlp(0)
    ref_opt = make(ref_model.parameters())
    _train(ref_model, ref_opt, batches)  # uninterrupted: 6 steps

    model = _mlp(0)
    opt = make(model.parameters())
    _train(model, opt, batches[:3])
    osd = opt.state_dict()
    assert all(isinstance(k, int) for k in osd["state"])  # int keys survive
    path = tmp_path / "opt.npz"
    save({"model": model.state_dict(), "optimizer": osd}, path)

    fresh = _mlp(5)
    fresh_opt = make(fresh.parameters())
    state = load(path)
    assert sorted(state["optimizer"]["state"]) == sorted(osd["state"])
    same(osd, state["optimizer"])
    fresh.load_state_dict(state["model"])
    fresh_opt.load_state_dict(state["optimizer"])
    _train(fresh, fresh_opt, batches[3:])
    for a, b in zip(ref_model.parameters(), fresh.parameters()):
        assert a.data.tobytes() == b.data.tobytes()


@pytest.mark.parametrize("make", [
    lambda o: CosineAnnealingLR(o, T_max=7, eta_min=0.001),
    lambda o: OneCycleLR(o, max_lr=0.1, total_steps=12),
], ids=["cosine", "onecycle"])
def test_lr_scheduler_state_dict_round_trip(tmp_path, make):
    def fresh():
        model = _mlp(0)
        opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        return model, opt, make(opt)

    batches = _batches(10)
    m0, o0, s0 = fresh()
    _train(m0, o0, batches, s0)
    ref_lrs = s0.get_last_lr()

    m1, o1, s1 = fresh()
    _train(m1, o1, batches[:4], s1)
    sd = s1.state_dict()
    path = tmp_path / "sched.npz"
    save({"model": m1.state_dict(), "opt": o1.state_dict(), "sched": sd}, path)
    back = load(path)
    same(sd, back["sched"])  # lists stay lists, floats and ints exact

    m2, o2, s2 = fresh()
    m2.load_state_dict(back["model"])
    o2.load_state_dict(back["opt"])
    s2.load_state_dict(back["sched"])
    assert s2.get_last_lr() == s1.get_last_lr()
    _train(m2, o2, batches[4:], s2)
    assert s2.get_last_lr() == ref_lrs
    for a, b in zip(m0.parameters(), m2.parameters()):
        assert a.data.tobytes() == b.data.tobytes()


def test_rng_state_round_trip_restores_the_stream(tmp_path):
    ll.manual_seed(123)
    ll.randn(7)
    state = ll.random.get_rng_state()
    big = [v for v in state["state"].values() if isinstance(v, int)]
    assert any(v > 2**63 for v in big)  # PCG64's 128-bit words: beyond int64, JSON keeps them
    path = tmp_path / "rng.npz"
    save({"rng": state}, path)
    expected = [ll.randn(5).data.copy(), ll.rand(3).data.copy()]
    ll.manual_seed(999)
    back = load(path)["rng"]
    assert back == state
    ll.random.set_rng_state(back)
    got = [ll.randn(5).data, ll.rand(3).data]
    for a, b in zip(expected, got):
        assert a.tobytes() == b.tobytes()


def test_docstring_examples():
    res = doctest.testmod(S, extraglobs={"ll": ll}, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0 and res.failed == 0
