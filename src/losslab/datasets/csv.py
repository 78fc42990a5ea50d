"""``load_csv``: a CSV file with a header row -> a standardized, stratified :class:`Split`.

Read with Python's ``csv`` module (no pandas). Every problem in the file is reported as a
one-line ``ValueError`` naming the file, the line and the column.
"""
from __future__ import annotations

import csv
import difflib
import io
import math
import os
from pathlib import Path

import numpy as np

from .split import Split, check_seed, check_val_fraction, make_split

__all__ = ["load_csv", "MISSING", "MAX_CLASSES"]

#: Cell values read as "missing" (compared case-insensitively, after stripping spaces).
MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
#: At most this many distinct target values are inferred as class labels.
MAX_CLASSES = 20
_TASKS = (None, "classification", "binary", "multiclass", "regression")
_DELIMITERS = (",", ";", "\t", "|")


def _fail(msg: str):
    raise ValueError(f"load_csv: {msg}")


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def _close(name: str, columns: list[str]) -> str:
    lower = {c.lower(): c for c in columns}
    close = [lower[name.lower()]] if name.lower() in lower else []
    close += [c for c in difflib.get_close_matches(name, columns, n=3, cutoff=0.6) if c not in close]
    return f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""


def _columns_list(columns: list[str]) -> str:
    shown = ", ".join(repr(c) for c in columns[:30])
    return shown + (f", ... ({len(columns)} in all)" if len(columns) > 30 else "")


def _read(path: Path, label: str):
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"load_csv: no such file: {label}") from None
    except IsADirectoryError:
        raise IsADirectoryError(f"load_csv: {label} is a folder, not a CSV file") from None
    except PermissionError:
        raise PermissionError(f"load_csv: cannot read {label}: permission denied") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        _fail(f"{label} is not UTF-8 text (undecodable byte at position {e.start}); save it as UTF-8 CSV")
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    if not first:
        _fail(f"{label} is empty; expected a header row naming the columns, then one row per sample")
    counts = {d: first.count(d) for d in _DELIMITERS}
    delimiter = max(_DELIMITERS, key=lambda d: (counts[d], d == ","))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((reader.line_num, [cell.strip() for cell in row]))
    except csv.Error as e:
        _fail(f"{label}, line {reader.line_num}: malformed CSV ({e})")
    return rows


def _header(rows, label: str) -> list[str]:
    line, header = rows[0]
    if all(_is_number(c) for c in header if c):
        _fail(f"{label}: the first row (line {line}) looks like data ({', '.join(header[:4])}"
              f"{', ...' if len(header) > 4 else ''}); a header row naming the columns is required")
    for j, c in enumerate(header):
        if not c:
            _fail(f"{label}: column {j + 1} of the header (line {line}) has no name; every column needs one")
    seen = set()
    for c in header:
        if c in seen:
            _fail(f"{label}: the header names column {c!r} twice; column names must be unique")
        seen.add(c)
    if len(rows) == 1:
        _fail(f"{label} has a header but no data rows")
    for ln, row in rows[1:]:
        if len(row) != len(header):
            _fail(f"{label}, line {ln}: {len(row)} fields, but the header has {len(header)} columns")
    return header


def _resolve_columns(header, target, features, label):
    if target not in header:
        _fail(f"{label} has no target column {target!r}{_close(target, header)}; its columns are "
              f"{_columns_list(header)}")
    if features is None:
        features = [c for c in header if c != target]
        if not features:
            _fail(f"{label} has only the target column {target!r}; no columns are left as features")
        return features
    features = list(features)
    if not features:
        _fail("features is empty; give at least one feature column, or None for every column but the target")
    for f in features:
        if not isinstance(f, str):
            raise TypeError(f"load_csv: feature names must be strings, got {f!r} ({type(f).__name__})")
        if f == target:
            _fail(f"the target column {target!r} is also listed in features; a model must not see its target")
        if f not in header:
            _fail(f"{label} has no feature column {f!r}{_close(f, header)}; its columns are {_columns_list(header)}")
    dup = next((f for i, f in enumerate(features) if f in features[:i]), None)
    if dup is not None:
        _fail(f"feature column {dup!r} is listed twice in features")
    return features


def _check_missing(rows, header, used, label):
    cols = [header.index(c) for c in used]
    missing = [(ln, header[j]) for ln, row in rows for j in cols if row[j].lower() in MISSING]
    if missing:
        ln, col = missing[0]
        more = f"; {len(missing)} missing values in all" if len(missing) > 1 else ""
        _fail(f"{label}, line {ln}, column {col!r}: missing value{more}; fill them in or remove those rows")


def _numbers(rows, header, col, label, why):
    j = header.index(col)
    out = np.empty(len(rows), dtype=np.float64)
    for i, (ln, row) in enumerate(rows):
        s = row[j]
        try:
            v = float(s)
        except ValueError:
            _fail(f"{label}, line {ln}, column {col!r}: {s!r} is not a number ({why})")
        if not math.isfinite(v):
            _fail(f"{label}, line {ln}, column {col!r}: {s!r} is not a finite number; remove or fix that row")
        out[i] = v
    return out


def _target(rows, header, target, task, label):
    """-> (task, y, class_names)."""
    j = header.index(target)
    raw = [row[j] for _, row in rows]
    n = len(raw)
    numeric = all(_is_number(s) for s in raw)
    if task == "regression" or (task is None and numeric):
        y = _numbers(rows, header, target, label, "a regression target must be numeric")
        integer = bool(np.all(y == np.round(y)))
        distinct = np.unique(y)
        if task == "regression" or not integer or len(distinct) > MAX_CLASSES or len(distinct) > n / 2:
            return "regression", y, None
        keys = distinct
        names = [str(int(v)) for v in keys]
        labels = np.searchsorted(keys, y)
    elif numeric:  # explicit classification on a numeric column
        y = _numbers(rows, header, target, label, "")
        if not np.all(y == np.round(y)):
            bad = next((ln, s) for (ln, row), s, v in zip(rows, raw, y) if v != round(v))
            _fail(f"{label}, line {bad[0]}, column {target!r}: {bad[1]!r} is not a class label (task={task!r} "
                  f"needs integers or text); continuous targets call for task='regression' and a regression loss")
        keys = np.unique(y)
        names = [str(int(v)) for v in keys]
        labels = np.searchsorted(keys, y)
    else:  # text labels
        keys = sorted(set(raw))
        if task is None and (len(keys) > MAX_CLASSES or len(keys) > n / 2):
            _fail(f"target column {target!r} of {label} holds text with {len(keys)} distinct values in {n} rows, "
                  f"too many for class labels (at most {MAX_CLASSES} and at most half the rows); pass "
                  f"task='multiclass' if they are classes, or choose a numeric target")
        index = {k: i for i, k in enumerate(keys)}
        names = list(keys)
        labels = np.array([index[s] for s in raw], dtype=np.int64)
    if len(names) < 2:
        _fail(f"target column {target!r} of {label} has a single class ({names[0]!r}) in all {n} rows; "
              f"classification needs at least 2 classes")
    if task == "binary" and len(names) != 2:
        _fail(f"task='binary' but target column {target!r} of {label} has {len(names)} classes "
              f"({_columns_list(names)}); use task='multiclass'")
    if task in (None, "classification"):
        task = "binary" if len(names) == 2 else "multiclass"
    return task, np.asarray(labels, dtype=np.int64), names


def load_csv(path, target: str, features=None, *, task: str | None = None, val_fraction: float = 0.2,
             seed: int = 0, standardize: bool = True) -> Split:
    """Load a CSV file (header row required) as a training/validation :class:`Split`.

    Formula: rows -> stratified split (classification) or random split (regression) with
    ⌈val_fraction·N⌉ validation rows; then x' = (x − mean_train) / std_train on both parts.

    Args:
        path: the CSV file (``str`` or path). The delimiter (``,`` ``;`` tab ``|``) is the one
            that occurs most in the header; a UTF-8 byte-order mark is ignored.
        target: the column to predict.
        features: the feature columns (a list of names); default every column but the target.
            Feature columns must be numeric.
        task: ``None`` (inferred), ``"classification"`` (binary or multiclass by the number of
            classes), ``"binary"``, ``"multiclass"`` or ``"regression"``. Inference: a target
            with non-integer numbers is regression; integers or text with at most 20 distinct
            values (and no more than half the rows) are class labels; more distinct integers
            mean regression.
        val_fraction: share of rows held out for validation, in (0, 1) (default 0.2).
        seed: seeds the split (default 0).
        standardize: standardize the features with the training part's mean and std
            (default True).

    Shape:
        x (N, D) float64 with D = len(features); y (N,) int64 class indices (class_names sorted:
        numerically for numbers, alphabetically for text) or (N, 1) float64 for regression.

    Example:
        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "fruit.csv")
        >>> rows = [f"{w},{2 * w % 7},{'apple' if w % 2 else 'pear'}" for w in range(20)]
        >>> _ = open(path, "w").write("weight,size,kind\\n" + "\\n".join(rows) + "\\n")
        >>> s = ll.datasets.load_csv(path, target="kind")
        >>> s.task, s.class_names, s.feature_names, s.x_train.shape, s.x_val.shape
        ('binary', ('apple', 'pear'), ('weight', 'size'), (16, 2), (4, 2))

    Note:
        Errors are one-line ``ValueError``s naming the file, line and column: a missing value
        (empty, NA, NaN, null, None or ?) in a used column, text in a numeric column, a target or
        feature column that is not in the header (with close matches), a single class, or fewer
        than 2 rows in a part after the split. Columns that are not used are not checked.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"load_csv: path must be a file path (str or Path), got {type(path).__name__}")
    if not isinstance(target, str) or not target.strip():
        raise TypeError(f"load_csv: target must be the name of a column (a non-empty str), got {target!r}")
    if features is not None and (isinstance(features, str) or not isinstance(features, (list, tuple))):
        raise TypeError(f"load_csv: features must be a list of column names or None, got {features!r}"
                        + (" (a str; write [..] around the names)" if isinstance(features, str) else ""))
    if task not in _TASKS:
        raise ValueError(f"load_csv: task must be one of {list(_TASKS)}, got {task!r}")
    check_val_fraction("load_csv", val_fraction)
    check_seed("load_csv", seed)
    path = Path(path)
    label = path.name
    target = target.strip()
    rows = _read(path, label)
    header = _header(rows, label)
    data = rows[1:]
    features = _resolve_columns(header, target, features, label)
    _check_missing(data, header, features + [target], label)
    x = np.column_stack([
        _numbers(data, header, f, label, "feature columns must be numeric; leave this one out with features=[...]")
        for f in features])
    task, y, class_names = _target(data, header, target, task, label)
    return make_split(label, task, x, y, features, class_names, val_fraction=val_fraction, seed=seed,
                      standardize=standardize, who="load_csv")
