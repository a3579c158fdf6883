"""The model registry: which trained version is served, switched without restarting anything.

``MODELS_ROOT`` holds one directory per version (``<UTC time>-<data hash>[-baseline]``) and:

- ``active``: the name of the served version, one line, replaced atomically (written to a
  temporary file, fsynced, then ``os.replace``d), so a reader sees the old name or the new one,
  never half of one;
- ``history.jsonl``: one line per activation (version, previous, reason, time), which
  ``rollback`` walks back.

Without an ``active`` file (a models directory from before the registry) the newest complete
version is served, as before. Servers and workers re-check the pointer cheaply (two ``stat``
calls, at most every ``MODEL_RECHECK_SECONDS``) and load the new version when it changes; see
``tickets.classifier_port``.

Promotion is gated on the dev figures recorded in ``meta.json`` at training time: a candidate
whose dev accuracy or macro-F1 (overall or in one language) falls more than ``tolerance`` below
the active version's is refused unless forced. So is a candidate that catches fewer
emergencies: its emergency recall (the rules and its learned detector together) on the
detector's unseen set (classify/data/emergency_holdout.jsonl), measured when it is promoted,
may not fall below the active version's at all.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from classify import modeling

ACTIVE_FILE = "active"
HISTORY_FILE = "history.jsonl"
LOCK_FILE = ".train.lock"  # one full training at a time
BASELINE_LOCK_FILE = ".baseline.lock"  # one first baseline at a time
BACKGROUND_LOG = "background-training.log"
ROLLBACK = "rollback"
# a dev figure may fall this much (0.5 points) before promotion needs --force
DEFAULT_TOLERANCE = 0.005


class RegistryError(ValueError):
    """A registry operation that cannot be done (unknown version, nothing to roll back to)."""


@dataclass(frozen=True)
class Stamp:
    """What changes when the served version may have changed: the pointer file's identity and
    the directory's modification time (a new version directory, a rename)."""

    active: tuple[int, int, int] | None
    directory: int | None


def _read_meta(path: Path) -> dict[str, Any]:
    meta: dict[str, Any] = json.loads((path / modeling.META_FILE).read_text(encoding="utf-8"))
    return meta


def stamp(models_root: Path) -> Stamp:
    root = Path(models_root)
    try:
        info = (root / ACTIVE_FILE).stat()
        active: tuple[int, int, int] | None = (info.st_mtime_ns, info.st_ino, info.st_size)
    except OSError:
        active = None
    try:
        directory: int | None = root.stat().st_mtime_ns
    except OSError:
        directory = None
    return Stamp(active=active, directory=directory)


def pointer(models_root: Path) -> str | None:
    """The version named by the ``active`` file, or None without one."""
    try:
        name = (Path(models_root) / ACTIVE_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return name or None


def active_path(models_root: Path) -> Path:
    """The served version's directory: the one the ``active`` file names when it is complete,
    else the newest complete version. FileNotFoundError when there is none."""
    from classify.predictor import is_complete, latest_path  # lazy: scikit-learn

    root = Path(models_root)
    name = pointer(root)
    if name is not None and is_complete(root / name):
        return root / name
    return latest_path(root)


def active_version(models_root: Path) -> str | None:
    try:
        return active_path(models_root).name
    except FileNotFoundError:
        return None


def _write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def history(models_root: Path) -> list[dict[str, Any]]:
    path = Path(models_root) / HISTORY_FILE
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            if isinstance(record, dict) and record.get("version"):
                out.append(record)
    return out


def activate(models_root: Path, version: str, *, reason: str) -> str | None:
    """Serve ``version`` from now on; returns the version served before (or None)."""
    from classify.predictor import is_complete  # lazy: scikit-learn

    root = Path(models_root)
    if not is_complete(root / version):
        raise RegistryError(f"no complete model version {version!r} under {root}")
    previous = active_version(root)
    _write_atomically(root / ACTIVE_FILE, version + "\n")
    record = {
        "version": version,
        "previous": previous,
        "reason": reason,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    with (root / HISTORY_FILE).open("a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")
    return previous


def served_stack(models_root: Path) -> list[str]:
    """The versions served one after the other, as a stack: each activation pushes its
    version, each rollback pops the one it rolled back from."""
    stack: list[str] = []
    for record in history(models_root):
        if str(record.get("reason", "")).startswith(ROLLBACK):
            if stack:
                stack.pop()
            if not stack or stack[-1] != record["version"]:
                stack.append(record["version"])
        else:
            stack.append(record["version"])
    return stack


def rollback(models_root: Path) -> str:
    """Serve again the version served before the current one (repeatable: each rollback goes
    one activation further back); returns it."""
    from classify.predictor import is_complete  # lazy: scikit-learn

    root = Path(models_root)
    current = active_version(root)
    if current is None:
        raise RegistryError(f"no model version under {root}")
    stack = served_stack(root)
    while stack and stack[-1] == current:
        stack.pop()
    while stack:
        candidate = stack[-1]
        if candidate != current and is_complete(root / candidate):
            activate(root, candidate, reason=f"{ROLLBACK} from {current}")
            return candidate
        stack.pop()
    raise RegistryError(f"nothing to roll back to from {current}")


# --------------------------------------------------------------------------- promotion gate


def dev_figures(meta: dict[str, Any]) -> dict[str, float]:
    """The served model's dev accuracy and macro-F1, overall and per language."""
    served = (meta.get("dev") or {}).get("served") or {}
    out: dict[str, float] = {}
    for key in ("accuracy", "macro_f1"):
        if served.get(key) is not None:
            out[key] = float(served[key])
    for lang, figures in (served.get("by_lang") or {}).items():
        if figures.get("accuracy") is not None:
            out[f"{lang} accuracy"] = float(figures["accuracy"])
    return out


def promotion_problems(
    candidate: dict[str, Any], active: dict[str, Any] | None,
    *, tolerance: float = DEFAULT_TOLERANCE,
) -> list[str]:
    """Why ``candidate`` should not replace ``active`` (empty: it may): every dev figure that
    falls more than ``tolerance`` below the active version's."""
    figures = dev_figures(candidate)
    if not figures:
        return ["the candidate has no dev figures"]
    if active is None:
        return []
    problems = []
    for key, before in dev_figures(active).items():
        after = figures.get(key)
        if after is None:
            continue
        if after < before - tolerance:
            problems.append(f"dev {key} drops from {before:.3f} to {after:.3f}")
    return problems


def emergency_recall(version_path: Path) -> float:
    """Emergencies caught by the rules and the version's learned detector together (the rules
    alone without one) on classify/data/emergency_holdout.jsonl, never trained on."""
    from classify import emergency_model  # lazy: scikit-learn

    detector_path = Path(version_path) / emergency_model.FILE
    detector = emergency_model.load(detector_path) if detector_path.exists() else None
    examples = emergency_model.read_labelled(emergency_model.HOLDOUT_FILE)
    return float(emergency_model.evaluate(detector, examples)["combined"]["recall"])


def emergency_problems(candidate: Path, active: Path | None) -> list[str]:
    """The candidate's emergency recall on the unseen set below the active version's (no
    tolerance: a missed emergency can cost a life)."""
    if active is None:
        return []
    before, after = emergency_recall(active), emergency_recall(candidate)
    if after < before:
        return [f"emergency recall on the unseen set drops from {before:.3f} to {after:.3f}"]
    return []


def promote(
    models_root: Path, version: str, *, force: bool = False,
    tolerance: float = DEFAULT_TOLERANCE, reason: str = "promote",
) -> str | None:
    """Activate ``version`` when its dev figures and its emergency recall do not drop below the
    active version's (or ``force``); RegistryError listing the drops otherwise. Returns the
    previous version."""
    from classify.predictor import is_complete  # lazy: scikit-learn

    root = Path(models_root)
    path = root / version
    if not is_complete(path):
        raise RegistryError(f"no complete model version {version!r} under {root}")
    current = active_version(root)
    if current == version:
        return current
    active_meta = _read_meta(root / current) if current else None
    problems = promotion_problems(_read_meta(path), active_meta, tolerance=tolerance)
    problems += emergency_problems(path, root / current if current else None)
    if problems and not force:
        raise RegistryError(
            f"{version} is worse than the active {current}: " + "; ".join(problems)
            + " (promote --force to serve it anyway)"
        )
    return activate(root, version, reason=reason + (" (forced)" if problems else ""))


def describe(models_root: Path) -> list[dict[str, Any]]:
    """Every complete version, newest first: name, kind, dev figures, whether active."""
    from classify.predictor import read_meta, versions  # lazy: scikit-learn

    root = Path(models_root)
    active = active_version(root)
    out = []
    for path in versions(root):
        meta = read_meta(path)
        out.append({
            "version": path.name,
            "active": path.name == active,
            "kind": meta.get("kind") or ("baseline" if meta.get("serving", {}).get("mode")
                                         == "baseline" else "full"),
            "mode": (meta.get("serving") or {}).get("mode"),
            "created_at": meta.get("created_at"),
            "corrections": (meta.get("counts") or {}).get("extra_examples", 0),
            "dev": dev_figures(meta),
            "onnx": (path / modeling.TRANSFORMER_DIR / modeling.ONNX_FILE).exists(),
        })
    return out


# --------------------------------------------------------------------------- one trainer


@contextlib.contextmanager
def training_lock(
    models_root: Path, *, wait: bool = True, name: str = LOCK_FILE
) -> Iterator[bool]:
    """An exclusive lock on ``models_root`` for training: yields True when held, False when
    ``wait`` is False and another process holds it (it releases when that process dies)."""
    import fcntl

    root = Path(models_root)
    root.mkdir(parents=True, exist_ok=True)
    with open(root / name, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
