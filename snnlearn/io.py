"""Atomic file writing: a reader never sees a half-written file.

Each writer writes to a temporary file in the same directory, flushes it to disk,
then renames it over the target (``os.replace`` is atomic on POSIX).
"""

import json
import os
import tempfile

import numpy as np

__all__ = ["atomic_write_text", "atomic_write_json", "atomic_save_npz", "atomic_save_figure", "read_json",
           "sha256_file", "strict_json", "save_tree_npz", "load_tree_npz", "remove_temporaries", "TMP_PREFIX"]

#: Prefix of the temporary files the atomic writers create (a killed writer may leave one behind).
TMP_PREFIX = ".tmp-"


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _atomic(path, write):
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=directory)
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


def strict_json(data):
    """``data`` with every non-finite float (NaN, inf) replaced by None, so that it is strict JSON.

    Returns ``(clean, paths)`` where ``paths`` names the replaced entries (``a.b[2]``).
    """
    paths = []

    def clean(value, where):
        if isinstance(value, dict):
            return {k: clean(v, f"{where}.{k}" if where else str(k)) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, np.ndarray):
            return clean(value.tolist(), where)
        if isinstance(value, (float, np.floating)) and not np.isfinite(value):
            paths.append(where)
            return None
        return value

    return clean(data, ""), paths


def atomic_write_json(path, data):
    """Write ``data`` as strict JSON (NaN and inf are refused: use :func:`strict_json` first)."""
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True, default=_json_default, allow_nan=False) + "\n")


def atomic_save_npz(path, arrays):
    _atomic(path, lambda fh: np.savez_compressed(fh, **arrays))


def atomic_save_figure(path, fig, dpi=110):
    _atomic(path, lambda fh: fig.savefig(fh, format="png", dpi=dpi, bbox_inches="tight"))


def read_json(path):
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def sha256_file(path):
    """Hex SHA-256 of a file's bytes."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_SKELETON = "__skeleton__"


def _encode(value, arrays):
    """A nested state (dicts, tuples, lists, arrays, numbers, strings, None) as JSON plus named arrays."""
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("state dictionaries must have string keys")
        return {"dict": {k: _encode(v, arrays) for k, v in value.items()}}
    if isinstance(value, tuple):
        return {"tuple": [_encode(v, arrays) for v in value]}
    if isinstance(value, list):
        return {"list": [_encode(v, arrays) for v in value]}
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            raise TypeError("object arrays cannot be stored as plain arrays")
        name = f"a{len(arrays)}"
        arrays[name] = value
        return {"array": name}
    if value is None or isinstance(value, (bool, str)):
        return {"value": value}
    if isinstance(value, (np.bool_, np.integer, np.floating)):
        name = f"a{len(arrays)}"
        arrays[name] = np.asarray(value)
        return {"scalar": name}
    if isinstance(value, int):
        return {"value": value}
    if isinstance(value, float):
        return {"float": repr(value)}
    raise TypeError(f"cannot store a {type(value).__name__} in a plain-array checkpoint")


def _decode(node, arrays):
    (kind, content), = node.items()
    if kind == "dict":
        return {k: _decode(v, arrays) for k, v in content.items()}
    if kind == "tuple":
        return tuple(_decode(v, arrays) for v in content)
    if kind == "list":
        return [_decode(v, arrays) for v in content]
    if kind == "array":
        return arrays[content]
    if kind == "scalar":
        return arrays[content][()]
    if kind == "float":
        return float(content)
    if kind == "value":
        return content
    raise ValueError(f"unknown entry '{kind}' in a checkpoint")


def save_tree_npz(path, tree):
    """Write a nested state (see :func:`_encode`) atomically as one ``.npz`` of plain arrays: no pickle."""
    arrays = {}
    skeleton = json.dumps(_encode(tree, arrays), allow_nan=False)
    arrays[_SKELETON] = np.frombuffer(skeleton.encode("utf-8"), dtype=np.uint8)
    atomic_save_npz(path, arrays)


def load_tree_npz(path):
    """Read what :func:`save_tree_npz` wrote (``allow_pickle=False``: nothing in the file is executed)."""
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    skeleton = json.loads(arrays.pop(_SKELETON).tobytes().decode("utf-8"))
    return _decode(skeleton, arrays)


def remove_temporaries(directory):
    """Delete the temporary files a killed writer left in ``directory`` (not recursive); returns how many."""
    removed = 0
    try:
        names = os.listdir(directory)
    except OSError:
        return 0
    for name in names:
        if name.startswith(TMP_PREFIX) or name.endswith(".pkl.tmp"):
            try:
                os.unlink(os.path.join(directory, name))
                removed += 1
            except OSError:
                pass
    return removed
