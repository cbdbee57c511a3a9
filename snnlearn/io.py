"""Atomic file writing: a reader never sees a half-written file.

Each writer writes to a temporary file in the same directory, flushes it to disk,
then renames it over the target (``os.replace`` is atomic on POSIX).
"""

import json
import os
import tempfile

import numpy as np

__all__ = ["atomic_write_text", "atomic_write_json", "atomic_save_npz", "atomic_save_figure", "read_json"]


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _atomic(path, write):
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; results are ordinary readable files
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path, text):
    _atomic(path, lambda fh: fh.write(text.encode("utf-8")))


def _json_default(obj):
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.bool_):
        return bool(obj)
    raise TypeError(f"cannot write {type(obj).__name__} to JSON")


def atomic_write_json(path, data):
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True, default=_json_default, allow_nan=True) + "\n")


def atomic_save_npz(path, arrays):
    _atomic(path, lambda fh: np.savez_compressed(fh, **arrays))


def atomic_save_figure(path, fig, dpi=110):
    _atomic(path, lambda fh: fig.savefig(fh, format="png", dpi=dpi, bbox_inches="tight"))


def read_json(path):
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)
