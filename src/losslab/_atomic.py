"""One way to write a file so that it is either complete or absent: ``atomic_open``.

Every writer in losslab (``ll.save``, checkpoints, histories, plots, the CLI's tables) goes
through it: the data goes to a temporary file in the target's directory, which is flushed,
fsync-ed and renamed over the target (``os.replace`` is atomic on POSIX and Windows); on any
error, KeyboardInterrupt included, the temporary file is removed and an existing target is left
untouched. A new file gets the usual permissions (0o666 minus the umask), an existing one keeps
its own.
"""
from __future__ import annotations

import contextlib
import os
import tempfile

__all__ = ["atomic_open"]


def _umask() -> int:
    """The process umask (read without changing it where /proc allows; else set and restore)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    old = os.umask(0o022)
    os.umask(old)
    return old


def _fsync_dir(directory: str) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "wb", *, encoding: str | None = None,
                newline: str | None = None):
    """Open ``path`` for writing so that readers never see a partial file.

    Args:
        path: the file to (re)write; its directory must exist.
        mode: ``"wb"`` or ``"w"`` (text, then ``encoding`` defaults to UTF-8).
        encoding, newline: as for :func:`open` in text mode.

    Yields:
        the open temporary file; write to it inside the ``with`` block.

    Example:
        >>> import os, tempfile
        >>> d = tempfile.mkdtemp()
        >>> with atomic_open(os.path.join(d, "a.txt"), "w") as f:
        ...     _ = f.write("all or nothing")
        >>> open(os.path.join(d, "a.txt")).read()
        'all or nothing'
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_open: mode must be 'wb' or 'w', got {mode!r}")
    target = os.path.abspath(os.fspath(path))
    directory = os.path.dirname(target)
    try:
        perm = os.stat(target).st_mode & 0o7777
    except OSError:
        perm = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp", dir=directory)
    try:
        text = mode == "w"
        with os.fdopen(fd, mode, encoding=(encoding or "utf-8") if text else None,
                       newline=newline if text else None) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.chmod(tmp, perm)  # mkstemp makes the file private (0600)
        except OSError:  # pragma: no cover - filesystems without permission bits
            pass
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(directory)
