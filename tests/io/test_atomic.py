"""losslab._atomic.atomic_open: complete or absent, never half-written."""
import os

import pytest

from losslab._atomic import atomic_open


def test_writes_text_and_bytes(tmp_path):
    with atomic_open(tmp_path / "a.txt", "w", newline="") as f:
        f.write("x\r\ny")
    assert (tmp_path / "a.txt").read_bytes() == b"x\r\ny"
    with atomic_open(tmp_path / "b.bin") as f:
        f.write(b"\x00\x01")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert sorted(os.listdir(tmp_path)) == ["a.txt", "b.bin"]


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()])
def test_an_error_keeps_the_old_file_and_leaves_no_temp(tmp_path, exc):
    path = tmp_path / "keep.txt"
    path.write_text("old")
    os.chmod(path, 0o640)
    with pytest.raises(type(exc)):
        with atomic_open(path, "w") as f:
            f.write("new, half")
            raise exc
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["keep.txt"]
    with atomic_open(path, "w") as f:
        f.write("new")
    assert path.read_text() == "new" and (os.stat(path).st_mode & 0o777) == 0o640  # permissions kept


def test_bad_mode_and_missing_directory(tmp_path):
    with pytest.raises(ValueError, match="mode must be 'wb' or 'w'"):
        with atomic_open(tmp_path / "x", "a"):
            pass
    with pytest.raises(FileNotFoundError):
        with atomic_open(tmp_path / "no" / "x", "w"):
            pass
