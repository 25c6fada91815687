"""The reference every running-form script writes: OpenCV read -> RGB -> detect_for_video,
one frame after another in one thread, with the same model formcheck uses.

Usage: python benchmarks/naive_loop.py CLIP [MODEL]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import cv2
import mediapipe as mp
from mediapipe.tasks.python import BaseOptions, vision

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    clip = sys.argv[1]
    model = sys.argv[2] if len(sys.argv) > 2 else str(ROOT / "models" / "pose_landmarker_full.task")
    t0 = time.perf_counter()
    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=model),
        running_mode=vision.RunningMode.VIDEO, num_poses=1)
    cap = cv2.VideoCapture(clip)
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    n = 0
    with vision.PoseLandmarker.create_from_options(options) as landmarker:
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            landmarker.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb),
                                        int(n * 1000 / fps))
            n += 1
    cap.release()
    print(f"frames={n} seconds={time.perf_counter() - t0:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
