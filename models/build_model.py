"""Rebuild formcheck's bundled pose model from the pinned MediaPipe wheel.

The current ``mediapipe`` wheels ship the Tasks API but no pose model, and Google's
model storage is not reachable from every network. The ``mediapipe==0.10.21`` wheel
on PyPI still carries the BlazePose GHUM "full" detector and landmark networks of
the legacy solution. This script

1. fetches that wheel with ``pip download`` (or takes ``--wheel PATH``) and checks
   the wheel's SHA-256,
2. extracts ``pose_detection.tflite`` and ``pose_landmark_full.tflite``,
3. writes the TFLite metadata the Tasks API needs (an RGB image input with its
   normalisation, one feature output per output tensor) with MediaPipe's own
   ``metadata_writers``,
4. packs both into a ``.task`` bundle (a stored, 4-byte aligned zip, fixed
   timestamps so the output is byte-for-byte reproducible), and
5. checks the result against ``pose_landmarker_full.task.sha256``.

Run it with the project's environment active::

    python models/build_model.py            # rebuild and verify
    python models/build_model.py --check    # only verify the committed bundle

The installed ``mediapipe`` (1.x) lacks one native helper that its metadata
writer imports (``_pywrap_metadata_version``, which only computes the minimum
metadata-parser version string). The pinned wheel contains that helper as a
self-contained extension module; this script loads it from the wheel.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import subprocess
import sys
import tempfile
import types
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
BUNDLE = HERE / "pose_landmarker_full.task"
CHECKSUM_FILE = HERE / "pose_landmarker_full.task.sha256"

WHEEL_REQUIREMENT = "mediapipe==0.10.21"
WHEEL_NAME = "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl"
WHEEL_SHA256 = "05dc4a9e593655a79558d05d6227d31018c2537a4bd3362b51e230cf22aecfe3"
DETECTOR_MEMBER = "mediapipe/modules/pose_detection/pose_detection.tflite"
LANDMARKER_MEMBER = "mediapipe/modules/pose_landmark/pose_landmark_full.tflite"
VERSION_HELPER_MEMBER = (
    "mediapipe/tasks/cc/metadata/python/_pywrap_metadata_version.cpython-311-x86_64-linux-gnu.so"
)
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_wheel(dest: Path) -> Path:
    subprocess.run(
        [
            sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
            "--python-version", "3.11", "--implementation", "cp",
            "--platform", "manylinux_2_28_x86_64", "-d", str(dest), WHEEL_REQUIREMENT,
        ],
        check=True,
    )
    return dest / WHEEL_NAME


def install_version_helper(wheel: zipfile.ZipFile, workdir: Path) -> None:
    """Make ``mediapipe.tasks.cc.metadata.python._pywrap_metadata_version`` importable."""
    name = "mediapipe.tasks.cc.metadata.python._pywrap_metadata_version"
    if name in sys.modules:
        return
    # The installed mediapipe has no ``mediapipe.tasks.cc`` package at all: register
    # empty parent packages so that ``from ... import _pywrap_metadata_version`` resolves.
    parent = "mediapipe.tasks"
    for part in ("cc", "metadata", "python"):
        parent = f"{parent}.{part}"
        if parent not in sys.modules:
            pkg = types.ModuleType(parent)
            pkg.__path__ = []
            sys.modules[parent] = pkg
    so_path = Path(wheel.extract(VERSION_HELPER_MEMBER, workdir))
    spec = importlib.util.spec_from_file_location(name, so_path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[name] = module
    sys.modules[name.rsplit('.', 1)[0]]._pywrap_metadata_version = module


def add_metadata(model: bytes, name: str, mean: float, std: float, n_outputs: int) -> bytes:
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer

    writer = metadata_writer.MetadataWriter.create(bytearray(model))
    writer.add_general_info(name, "BlazePose GHUM 3D (full), from mediapipe==0.10.21")
    writer.add_image_input(norm_mean=[mean], norm_std=[std])
    for _ in range(n_outputs):
        writer.add_feature_output()
    content, _json = writer.populate()
    del writer  # its __del__ fails if left to interpreter shutdown
    return bytes(content)


def write_bundle(members: dict[str, bytes], out: Path) -> None:
    from mediapipe.tasks.python.metadata.metadata_writers import model_asset_bundle_utils as mabu

    with mabu.AlignZipFile(out, mode="w", alignment=4) as zf:
        for member, data in members.items():
            info = zipfile.ZipInfo(member, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)


def build(wheel_path: Path | None, out: Path) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        wheel_path = wheel_path or fetch_wheel(tmpdir)
        got = sha256_of(wheel_path)
        if got != WHEEL_SHA256:
            raise SystemExit(f"wheel checksum mismatch: {wheel_path} has {got}, expected {WHEEL_SHA256}")
        with zipfile.ZipFile(wheel_path) as wheel:
            install_version_helper(wheel, tmpdir)
            detector = wheel.read(DETECTOR_MEMBER)
            landmarker = wheel.read(LANDMARKER_MEMBER)
        # Detector input is scaled to [-1, 1]; landmark network input to [0, 1].
        members = {
            "pose_detector.tflite": add_metadata(detector, "pose_detector", 127.5, 127.5, 2),
            "pose_landmarks_detector.tflite": add_metadata(landmarker, "pose_landmarks_detector", 0.0, 255.0, 5),
        }
        write_bundle(members, out)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help=f"a local copy of {WHEEL_NAME}")
    parser.add_argument("--out", type=Path, default=BUNDLE)
    parser.add_argument("--check", action="store_true", help="only verify the committed bundle")
    args = parser.parse_args()
    expected = CHECKSUM_FILE.read_text().split()[0] if CHECKSUM_FILE.exists() else None
    if not args.check:
        build(args.wheel, args.out)
        print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")
    got = sha256_of(args.out)
    print(f"sha256 {got}")
    if expected is None:
        print(f"no {CHECKSUM_FILE.name} to compare with")
        return 0
    if got != expected:
        print(f"MISMATCH: expected {expected}", file=sys.stderr)
        return 1
    print("matches the recorded checksum")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
