"""Locating and checking the pose model bundle.

formcheck ships a MediaPipe Pose Landmarker bundle (``pose_landmarker_full.task``)
built reproducibly from the ``mediapipe==0.10.21`` wheel by ``models/build_model.py``
(see ``models/README.md`` for provenance, licence and checksum). Its SHA-256 is
checked every time it is loaded. Any other ``.task`` bundle can be passed with
``--model``; it is checked for being a Pose Landmarker bundle, and its checksum is
recorded in the summary.
"""

from __future__ import annotations

import hashlib
import zipfile
from functools import lru_cache
from pathlib import Path

from formcheck.errors import ModelError
from formcheck.model.results import ModelMeta

DEFAULT_MODEL_NAME = "pose_landmarker_full.task"
_BUNDLE_MEMBERS = {"pose_detector.tflite", "pose_landmarks_detector.tflite"}


def _candidates() -> list[Path]:
    here = Path(__file__).resolve().parents[1]  # the formcheck package folder
    return [here / "_models" / DEFAULT_MODEL_NAME, here.parent / "models" / DEFAULT_MODEL_NAME]


def default_model_path() -> Path:
    for cand in _candidates():
        if cand.is_file():
            return cand
    raise ModelError(
        "the bundled pose model is missing (expected models/pose_landmarker_full.task); "
        "rebuild it with 'python models/build_model.py' or pass --model PATH"
    )


@lru_cache(maxsize=8)
def _sha256(path: Path, mtime_ns: int, size: int) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_of(path: Path) -> str:
    st = path.stat()
    return _sha256(path, st.st_mtime_ns, st.st_size)


def resolve_model(path: str | Path | None = None) -> ModelMeta:
    """Return the model to use, verified.

    ``None`` means the bundled model, whose checksum must match the recorded one.
    A user-supplied path must be a readable Pose Landmarker ``.task`` bundle.
    """
    if path is None:
        p = default_model_path()
        expected_file = p.with_name(p.name + ".sha256")
        if not expected_file.is_file():
            raise ModelError(f"checksum file {expected_file.name} is missing beside {p}")
        expected = expected_file.read_text().split()[0]
        got = sha256_of(p)
        if got != expected:
            raise ModelError(
                f"bundled model {p.name} is damaged (sha256 {got[:12]}..., expected "
                f"{expected[:12]}...); rebuild it with 'python models/build_model.py'"
            )
        return ModelMeta(name=p.name, sha256=got, bundled=True, path=str(p))

    p = Path(path).expanduser()
    if not p.is_file():
        raise ModelError(f"model file not found: {p}")
    try:
        with zipfile.ZipFile(p) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError):
        raise ModelError(f"{p.name} is not a MediaPipe .task bundle (not a zip archive)") from None
    if not _BUNDLE_MEMBERS <= names:
        raise ModelError(
            f"{p.name} is not a Pose Landmarker bundle (needs {', '.join(sorted(_BUNDLE_MEMBERS))})"
        )
    return ModelMeta(name=p.name, sha256=sha256_of(p), bundled=False, path=str(p.resolve()))
