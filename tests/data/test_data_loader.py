"""losslab.data: TensorDataset, DataLoader (batch GD / SGD / mini-batch), reproducible and
resumable shuffling, and every error."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import losslab as ll
import losslab.data
from losslab.data import DataLoader, Dataset, TensorDataset, collate


def _ds(n=10, d=2):
    x = np.arange(n * d, dtype=np.float64).reshape(n, d)
    y = np.arange(n, dtype=np.int64)
    return TensorDataset(x, y)


def _order(loader):
    """The sample indices of one pass (y holds each sample's index)."""
    return [yb.data.tolist() for _, yb in loader]


# ------------------------------------------------------------------------------ TensorDataset
def test_tensor_dataset_len_and_indexing():
    ds = _ds(5)
    assert len(ds) == 5
    x, y = ds[2]
    assert isinstance(x, ll.Tensor) and isinstance(y, ll.Tensor)
    assert x.shape == (2,) and x.data.tolist() == [4.0, 5.0] and int(y.item()) == 2
    x, y = ds[-1]
    assert int(y.item()) == 4
    xb, yb = ds[np.array([3, 0, 3])]
    assert xb.shape == (3, 2) and yb.data.tolist() == [3, 0, 3]
    xb, yb = ds[1:3]
    assert yb.data.tolist() == [1, 2]
    xb, yb = ds[ll.tensor(np.array([4, 1]))]
    assert yb.data.tolist() == [4, 1]


def test_tensor_dataset_keeps_dtypes_and_accepts_tensors():
    x32 = ll.tensor(np.ones((4, 3), dtype=np.float32))
    y = np.array([0, 1, 0, 1])
    ds = TensorDataset(x32, y)
    xb, yb = ds[np.arange(4)]
    assert xb.dtype == np.float32 and yb.dtype == np.int64
    ds64 = TensorDataset(np.ones((4, 3)))
    assert ds64[0][0].dtype == np.float64
    assert isinstance(ds.tensors[1], ll.Tensor) and ds.tensors[0] is x32


def test_tensor_dataset_samples_are_copies_without_grad():
    w = ll.tensor(np.ones((3, 2)), requires_grad=True)
    ds = TensorDataset(w)
    (row,) = ds[0]
    assert row.requires_grad is False
    row.data[:] = 7.0
    assert np.all(w.data == 1.0)


def test_tensor_dataset_index_out_of_range():
    with pytest.raises(IndexError, match="index 5 is out of range for 5 samples"):
        _ds(5)[5]
    with pytest.raises(IndexError):
        _ds(5)[-6]


def test_tensor_dataset_mismatched_lengths():
    with pytest.raises(ValueError, match=r"size mismatch.*\(5, 2\), \(4,\)"):
        TensorDataset(np.zeros((5, 2)), np.zeros(4))


@pytest.mark.parametrize("args, exc, match", [
    ((), ValueError, "at least one tensor"),
    ((np.float64(3.0),), TypeError, "must be an ll.Tensor or a NumPy array"),
    ((np.array(3.0),), ValueError, "scalar"),
    (([[1.0], [2.0]],), TypeError, "np.asarray"),
    ((np.array(["a", "b"]),), TypeError, "convert text labels"),
])
def test_tensor_dataset_bad_input(args, exc, match):
    with pytest.raises(exc, match=match):
        TensorDataset(*args)


def test_tensor_dataset_repr():
    assert repr(_ds(3)) == "TensorDataset(3 samples: (3, 2) float64, (3,) int64)"


# ------------------------------------------------------------------------------ the three modes
def test_full_batch_is_batch_gradient_descent():
    loader = DataLoader(_ds(10), batch_size="full")
    assert loader.mode == "batch" and len(loader) == 1
    (batch,) = list(loader)
    x, y = batch
    assert x.shape == (10, 2) and y.data.tolist() == list(range(10))


def test_batch_size_one_is_stochastic_gradient_descent():
    loader = DataLoader(_ds(7), batch_size=1)
    assert loader.mode == "stochastic" and len(loader) == 7
    batches = list(loader)
    assert len(batches) == 7 and all(b[0].shape == (1, 2) for b in batches)


def test_batch_size_m_is_mini_batch():
    loader = DataLoader(_ds(10), batch_size=3)
    assert loader.mode == "mini-batch" and len(loader) == 4
    assert _order(loader) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]


def test_drop_last_drops_the_short_batch():
    loader = DataLoader(_ds(10), batch_size=3, drop_last=True)
    assert len(loader) == 3
    assert _order(loader) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    # no effect when the size divides N, nor with "full"
    assert len(DataLoader(_ds(10), batch_size=5, drop_last=True)) == 2
    assert len(DataLoader(_ds(10), batch_size="full", drop_last=True)) == 1


def test_batch_size_equal_to_the_dataset_is_batch_mode():
    assert DataLoader(_ds(6), batch_size=6).mode == "batch"
    assert DataLoader(_ds(1), batch_size=1).mode == "batch"
    assert DataLoader(_ds(6), batch_size=" FULL ").batch_size == "full"
    assert DataLoader(_ds(6), batch_size=np.int64(2)).batch_size == 2


def test_batches_are_tensors_in_the_dataset_dtype():
    x = np.random.default_rng(0).standard_normal((9, 3)).astype(np.float32)
    loader = DataLoader(TensorDataset(x, np.arange(9)), batch_size=4, shuffle=True, seed=3)
    for xb, yb in loader:
        assert isinstance(xb, ll.Tensor) and xb.dtype == np.float32 and yb.dtype == np.int64
        assert not xb.requires_grad
        np.testing.assert_array_equal(xb.data, x[yb.data])


# ------------------------------------------------------------------------------ errors
@pytest.mark.parametrize("bs, exc, match", [
    (0, ValueError, "int >= 1 or 'full', got 0"),
    (-2, ValueError, "got -2"),
    (2.5, TypeError, r"got 2\.5 \(float\)"),
    (4.0, TypeError, "float"),
    (True, TypeError, "got True"),
    (None, TypeError, "got None"),
    ("half", ValueError, "'full' .*got the string 'half'"),
    ("", ValueError, "got the string ''"),
    ("32", ValueError, "got the string '32'; pass the int 32"),
])
def test_bad_batch_size(bs, exc, match):
    with pytest.raises(exc, match=match):
        DataLoader(_ds(10), batch_size=bs)


def test_batch_size_larger_than_the_dataset_names_both_and_suggests_full():
    with pytest.raises(ValueError) as e:
        DataLoader(_ds(10), batch_size=64)
    msg = str(e.value)
    assert "64" in msg and "10 samples" in msg and "'full'" in msg and "\n" not in msg


def test_empty_dataset():
    with pytest.raises(ValueError, match="empty"):
        DataLoader(TensorDataset(np.zeros((0, 2))), batch_size="full")


def test_not_a_dataset():
    with pytest.raises(TypeError, match="map-style dataset"):
        DataLoader(iter(range(3)))
    with pytest.raises(TypeError, match="map-style dataset"):
        DataLoader(42)


@pytest.mark.parametrize("kw, exc, match", [
    ({"shuffle": 1}, TypeError, "shuffle must be True or False"),
    ({"drop_last": "yes"}, TypeError, "drop_last must be True or False"),
    ({"seed": -1}, ValueError, "seed must be a non-negative int"),
    ({"seed": 1.0}, TypeError, "seed must be a non-negative int"),
    ({"seed": True}, TypeError, "seed"),
])
def test_bad_flags_and_seed(kw, exc, match):
    with pytest.raises(exc, match=match):
        DataLoader(_ds(4), batch_size=2, **kw)


def test_a_dataset_that_shrinks_is_checked_again():
    class Shrinking(Dataset):
        n = 8

        def __len__(self):
            return self.n

        def __getitem__(self, i):
            return (ll.tensor(float(i)),)

    ds = Shrinking()
    loader = DataLoader(ds, batch_size=4)
    ds.n = 3
    with pytest.raises(ValueError, match="batch_size=4 is larger than the dataset"):
        iter(loader)
    ds.n = 0
    with pytest.raises(ValueError, match="empty"):
        len(loader)


# ------------------------------------------------------------------------------ shuffling
def test_no_shuffle_keeps_the_order_every_epoch():
    loader = DataLoader(_ds(5), batch_size=2)
    assert _order(loader) == _order(loader) == [[0, 1], [2, 3], [4]]
    assert loader.seed is None


def test_shuffled_epoch_is_the_permutation_of_seed_and_epoch():
    n, seed = 11, 1234
    loader = DataLoader(_ds(n), batch_size=4, shuffle=True, seed=seed)
    for e in range(3):
        order = sum(_order(loader), [])
        assert order == np.random.default_rng([seed, e]).permutation(n).tolist()
        assert loader.epoch == e + 1


def test_each_epoch_visits_every_sample_once_in_a_new_order():
    loader = DataLoader(_ds(20), batch_size=3, shuffle=True, seed=0)
    orders = [sum(_order(loader), []) for _ in range(4)]
    for o in orders:
        assert sorted(o) == list(range(20))
    assert len({tuple(o) for o in orders}) == 4


def test_same_seed_same_batches_different_seed_different_batches():
    a = DataLoader(_ds(30), batch_size=5, shuffle=True, seed=7)
    b = DataLoader(_ds(30), batch_size=5, shuffle=True, seed=7)
    c = DataLoader(_ds(30), batch_size=5, shuffle=True, seed=8)
    ea, eb, ec = [[_order(ld) for _ in range(3)] for ld in (a, b, c)]
    assert ea == eb
    assert ea != ec


def test_seed_none_draws_from_the_global_generator():
    ll.manual_seed(42)
    s1 = DataLoader(_ds(10), batch_size=2, shuffle=True).seed
    ll.manual_seed(42)
    s2 = DataLoader(_ds(10), batch_size=2, shuffle=True).seed
    assert isinstance(s1, int) and s1 == s2
    ll.manual_seed(43)
    assert DataLoader(_ds(10), batch_size=2, shuffle=True).seed != s1


def test_a_loader_without_shuffle_leaves_the_global_generator_alone():
    ll.manual_seed(5)
    before = ll.random.get_rng_state()
    DataLoader(_ds(10), batch_size=2)
    assert ll.random.get_rng_state() == before


def test_shuffling_does_not_touch_the_global_generator():
    loader = DataLoader(_ds(10), batch_size=2, shuffle=True, seed=1)
    ll.manual_seed(5)
    before = ll.random.get_rng_state()
    list(loader)
    assert ll.random.get_rng_state() == before


def test_indices_match_the_iteration():
    loader = DataLoader(_ds(9), batch_size=2, shuffle=True, seed=2)
    assert loader.indices(4).tolist() == np.random.default_rng([2, 4]).permutation(9).tolist()
    loader.set_epoch(4)
    assert sum(_order(loader), []) == loader.indices(4).tolist()
    assert DataLoader(_ds(4)).indices().tolist() == [0, 1, 2, 3]


def test_drop_last_with_shuffle_drops_the_tail_of_the_permutation():
    loader = DataLoader(_ds(10), batch_size=4, shuffle=True, seed=9, drop_last=True)
    perm = loader.indices(0).tolist()
    assert _order(loader) == [perm[0:4], perm[4:8]]


# ------------------------------------------------------------------------------ epochs and resuming
def test_epoch_advances_only_after_a_full_pass():
    loader = DataLoader(_ds(10), batch_size=3, shuffle=True, seed=0)
    first = next(iter(loader))[1].data.tolist()
    assert loader.epoch == 0  # a pass cut short does not advance
    assert _order(loader)[0] == first
    assert loader.epoch == 1
    _order(loader)
    assert loader.epoch == 2


def test_set_epoch_replays_an_epoch():
    loader = DataLoader(_ds(12), batch_size=5, shuffle=True, seed=3)
    epochs = [_order(loader) for _ in range(4)]
    loader.set_epoch(2)
    assert _order(loader) == epochs[2]
    assert loader.epoch == 3
    assert _order(loader) == epochs[3]


@pytest.mark.parametrize("e, exc", [(-1, ValueError), (1.5, TypeError), ("2", TypeError)])
def test_set_epoch_bad_values(e, exc):
    with pytest.raises(exc, match="epoch"):
        DataLoader(_ds(4)).set_epoch(e)


def test_state_dict_resumes_the_same_batch_order():
    uninterrupted = DataLoader(_ds(17), batch_size=4, shuffle=True, seed=11)
    full_run = [_order(uninterrupted) for _ in range(6)]

    first = DataLoader(_ds(17), batch_size=4, shuffle=True, seed=11)
    part1 = [_order(first) for _ in range(2)]
    state = json.loads(json.dumps(first.state_dict()))  # plain data: it survives any serializer
    assert state == {"seed": 11, "epoch": 2}

    ll.manual_seed(99)
    resumed = DataLoader(_ds(17), batch_size=4, shuffle=True)  # another (drawn) seed
    assert resumed.seed != 11
    resumed.load_state_dict(state)
    part2 = [_order(resumed) for _ in range(4)]
    assert part1 + part2 == full_run


def test_state_dict_of_a_loader_without_shuffle():
    loader = DataLoader(_ds(4), batch_size=2)
    list(loader)
    assert loader.state_dict() == {"seed": None, "epoch": 1}
    other = DataLoader(_ds(4), batch_size=2)
    other.load_state_dict(loader.state_dict())
    assert other.epoch == 1


@pytest.mark.parametrize("state, match", [
    ({"seed": 1}, "keys"),
    ({"seed": 1, "epoch": 0, "extra": 2}, "keys"),
    ([1, 2], "keys"),
    ({"seed": -3, "epoch": 0}, "seed"),
    ({"seed": 1, "epoch": -1}, "epoch"),
    ({"seed": None, "epoch": 0}, "seed is None but this loader shuffles"),
])
def test_load_state_dict_bad_input(state, match):
    loader = DataLoader(_ds(4), batch_size=2, shuffle=True, seed=0)
    with pytest.raises(ValueError, match=match):
        loader.load_state_dict(state)


def test_load_state_dict_accepts_numpy_ints():
    loader = DataLoader(_ds(4), batch_size=2, shuffle=True, seed=0)
    loader.load_state_dict({"seed": np.int64(5), "epoch": np.int64(3)})
    assert loader.state_dict() == {"seed": 5, "epoch": 3}
    assert type(loader.state_dict()["seed"]) is int


def test_two_iterators_each_use_their_own_epoch():
    loader = DataLoader(_ds(8), batch_size=8, shuffle=True, seed=4)
    it1, it2 = iter(loader), iter(loader)
    assert next(it1)[1].data.tolist() == next(it2)[1].data.tolist()


# ------------------------------------------------------------------------------ any Dataset
class Pairs(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return ll.tensor([float(i), -float(i)]), i


def test_custom_dataset_is_collated():
    loader = DataLoader(Pairs(5), batch_size=2, shuffle=True, seed=0)
    perm = loader.indices(0).tolist()
    batches = list(loader)
    x, y = batches[0]
    assert x.shape == (2, 2) and x.dtype == np.float32 and y.dtype == np.int64
    assert sum((b[1].data.tolist() for b in batches), []) == perm
    np.testing.assert_array_equal(x.data[:, 0], y.data.astype(np.float32))


def test_collate_single_part_and_errors():
    (t,) = collate([ll.tensor([1.0]), ll.tensor([2.0])])
    assert t.shape == (2, 1)
    (t,) = collate([np.float64(1.0), np.float64(2.0)])
    assert t.dtype == np.float64
    with pytest.raises(ValueError, match="different shapes"):
        collate([(ll.tensor([1.0]), 0), (ll.tensor([1.0, 2.0]), 1)])
    with pytest.raises(ValueError, match="2 parts"):
        collate([(1, 2), (1,)])


def test_dataset_base_class_must_be_implemented():
    with pytest.raises(NotImplementedError):
        len(Dataset())
    with pytest.raises(NotImplementedError):
        Dataset()[0]


def test_repr_names_the_mode():
    r = repr(DataLoader(_ds(10), batch_size=3, shuffle=True, seed=1))
    assert r.startswith("DataLoader(mini-batch, batch_size=3, 4 batches/epoch") and "seed=1" in r


# ------------------------------------------------------------------------------ properties
@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 40), bs=st.one_of(st.just("full"), st.integers(1, 40)), shuffle=st.booleans(),
       drop_last=st.booleans(), seed=st.integers(0, 2**40))
def test_batches_partition_the_data(n, bs, shuffle, drop_last, seed):
    if bs != "full" and bs > n:
        with pytest.raises(ValueError, match="larger than the dataset"):
            DataLoader(_ds(n, 1), batch_size=bs)
        return
    loader = DataLoader(_ds(n, 1), batch_size=bs, shuffle=shuffle, drop_last=drop_last, seed=seed)
    b = n if bs == "full" else bs
    batches = _order(loader)
    assert len(batches) == len(loader) == (n // b if drop_last else math.ceil(n / b))
    assert all(len(x) == b for x in batches[:-1]) and 1 <= len(batches[-1]) <= b
    flat = sum(batches, [])
    assert len(set(flat)) == len(flat)
    assert len(flat) == ((n // b) * b if drop_last else n)
    assert flat == loader.indices(0).tolist()[:len(flat)]
    expected_mode = "batch" if b == n else ("stochastic" if b == 1 else "mini-batch")
    assert loader.mode == expected_mode
