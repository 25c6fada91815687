"""Every threshold formcheck uses, in one table, with where it comes from.

``kind`` says whether a threshold is a published norm applied as it is, or a
**calibrated proxy**: a cut-off on a MediaPipe-based stand-in for a clinical
measure (e.g. the shoulder landmark instead of C7), set by the formcheck developers
from the published norm, the geometry of the landmarks and the clips they had. Proxy
thresholds are not validated against a clinical measurement; the report says so.

Markerless pose estimation is only accurate to about 5-8 degrees at the joints in
treadmill running (Van Hooren et al. 2023, OpenPose vs markers); readings within
``MEASUREMENT_ERROR_DEG`` of a threshold are flagged as inside the error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MEASUREMENT_ERROR_DEG = 5.0

Direction = Literal["above", "below"]


@dataclass(frozen=True)
class Threshold:
    """A fault fires when the clip's median per-step value passes ``mild``."""

    fault: str
    metric: str
    direction: Direction  # "below": lower values are worse
    mild: float
    moderate: float
    severe: float
    unit: str
    kind: Literal["published", "calibrated proxy"]
    source: str

    def severity(self, value: float) -> str | None:
        """'mild' / 'moderate' / 'severe', or None when ``value`` is within the norm."""
        worse = (lambda v, t: v <= t) if self.direction == "below" else (lambda v, t: v >= t)
        if value != value:  # NaN
            return None
        for name in ("severe", "moderate", "mild"):
            if worse(value, getattr(self, name)):
                return name
        return None


THRESHOLDS: dict[str, Threshold] = {
    t.fault: t
    for t in (
        Threshold(
            "forward_head", "cva_deg", "below", 72.0, 65.0, 58.0, "deg", "calibrated proxy",
            "Clinical craniovertebral angle (C7-tragus): ~44 deg in neck-pain groups vs ~51 deg "
            "in controls (Lau et al., Man Ther 2009); <50 deg common cut-off, 45.5 deg separates "
            "slight from moderate-severe (Mostafaee et al.). MediaPipe has no C7: the shoulder "
            "landmark sits forward of and below C7, so the ear-shoulder proxy reads ~20-25 deg "
            "higher; cut-offs shifted accordingly by the formcheck developers.",
        ),
        Threshold(
            "waist_lean", "trunk_lean_deg", "above", 12.0, 15.0, 20.0, "deg", "published",
            "Trunk flexion while running ~4 deg (low) to ~11 deg (high trunk-flexion group) at "
            "3.4 m/s (Teng & Powers 2015); self-selected values up to ~15 deg are reported. Only "
            "counted as bending at the waist when the legs do not lean with the trunk (see "
            "WHOLE_BODY_LEAN_MAX_BEND).",
        ),
        Threshold(
            "raised_shoulders", "shoulder_elevation_torso", "below", 0.20, 0.16, 0.12, "torso",
            "calibrated proxy",
            "Ear-to-shoulder vertical gap in torso lengths. Anthropometry (Winter 2009): "
            "shoulder-hip ~0.29 of height, ear-shoulder ~0.07-0.08 of height, so a relaxed gap "
            "is ~0.25 torso; a shrug of 2-3 cm brings it under 0.20.",
        ),
        Threshold(
            "gaze_down", "head_pitch_deg", "above", 25.0, 35.0, 45.0, "deg", "calibrated proxy",
            "Ear->nose line below horizontal; a level gaze reads ~10-15 deg because the nose "
            "tip sits below the ear canal. Advice: head up, gaze forward.",
        ),
        Threshold(
            "excessive_bounce", "vertical_oscillation_cm", "above", 10.0, 12.0, 14.0, "cm",
            "published",
            "Vertical oscillation ~6-13 cm in recreational runners; centre of mass 7.5-9.3 cm "
            "in lab studies. Hip landmarks move slightly more than the centre of mass.",
        ),
        Threshold(
            "excessive_bounce_torso", "vertical_oscillation_torso", "above", 0.20, 0.245, 0.285,
            "torso", "calibrated proxy",
            "Used when the runner's height is not given: the cm thresholds above divided by a "
            "typical torso of 0.288 x 170 cm (Winter 2009 segment proportions).",
        ),
    )
}

#: A forward trunk lean is a whole-body lean from the ankles ("chi running" style), not
#: the waist-bend fault, when the trunk leans no more than the stance leg does, i.e. when
#: ``waist_bend_deg`` (trunk lean minus the stance leg's ankle->hip lean, median over
#: stance) stays below this. Calibrated proxy: upright runners read about -6 to -10 deg,
#: because over a stance the foot is mostly behind the hip (formcheck's synthetic runners
#: and the real clips the developers tested); a 14 deg bend at the hips reads about +1.
WHOLE_BODY_LEAN_MAX_BEND = -3.0
WHOLE_BODY_LEAN_SOURCE = (
    "calibrated proxy: formcheck developers, from synthetic runners with a known bend at the "
    "hips and from real side-view clips"
)

#: Which way a metric gets better, for judging a change between two sessions
#: ("higher", "lower", "zero": closer to 0 is better, None: no better direction).
#: Follows the fault thresholds above (their ``direction`` says which way is worse) and
#: METRICS.md: a forward head lowers the CVA proxy and raises the ear's forward offset
#: and the neck-trunk angle; bending forward raises trunk lean and waist bend; raised
#: shoulders shrink the ear-shoulder gap; looking down raises head pitch; bounce loads
#: the neck. Left/right tilts are best level. Cadence has none: it rises with speed.
BETTER: dict[str, Literal["higher", "lower", "zero"] | None] = {
    "cva_deg": "higher",
    "head_forward_offset_torso": "lower",
    "neck_trunk_angle_deg": "lower",
    "trunk_lean_deg": "lower",
    "waist_bend_deg": "lower",
    "shoulder_elevation_torso": "higher",
    "head_pitch_deg": "lower",
    "vertical_oscillation_torso": "lower",
    "vertical_oscillation_cm": "lower",
    "cadence_spm": None,
    "shoulder_tilt_deg": "zero",
    "head_tilt_deg": "zero",
    "left_shoulder_elevation_torso": "higher",
    "right_shoulder_elevation_torso": "higher",
}

#: Worsening from the first to the last third of the steps that counts as drift.
DRIFT_LIMITS: dict[str, tuple[float, str]] = {
    # metric: (change that counts, "up" or "down" is worse)
    "cva_deg": (5.0, "down"),
    "trunk_lean_deg": (3.0, "up"),
    "waist_bend_deg": (4.0, "up"),
    "shoulder_elevation_torso": (0.03, "down"),
    "head_pitch_deg": (6.0, "up"),
    "vertical_oscillation_torso": (0.03, "up"),
}
DRIFT_SOURCE = (
    "formcheck developers' choice: changes larger than the frame-to-frame noise of the "
    "landmarks (about 2-3 deg, 0.01-0.02 torso lengths after smoothing) and, for angles, "
    "at least half the markerless measurement error."
)

#: Assumptions for the neck-load estimate.
HEAD_MASS_FRACTION = 0.081  # head + neck mass / body mass (Winter 2009)
TORSO_HEIGHT_FRACTION = 0.288  # shoulder-hip distance / body height (Winter 2009: 0.818 - 0.530)
DEFAULT_MASS_KG = 70.0
DEFAULT_HEIGHT_CM = 170.0
G = 9.81

ADVICE: dict[str, str] = {
    "forward_head": (
        "Bring your head back over your shoulders: think 'tall', ears above shoulders, chin "
        "level and slightly tucked. Off the run: chin tucks (2-3 sets of 10, 5 s hold) and gentle "
        "neck mobility daily."
    ),
    "waist_lean": (
        "Keep shoulders above hips with a relaxed but straight spine; if you lean, lean slightly "
        "from the ankles with the whole body, not by folding at the waist. Strengthen the core: "
        "planks, side planks and dead bugs, 3 times a week."
    ),
    "raised_shoulders": (
        "Let your shoulders drop and stay loose; relax your hands (as if holding a crisp "
        "without breaking it) and shake out the arms every few minutes. Widen the upper back "
        "with rows, reverse flies and face pulls."
    ),
    "gaze_down": (
        "Look ahead, about 10-20 m down the road (on a treadmill, at a point on the wall at eye "
        "height), not at your feet."
    ),
    "excessive_bounce": (
        "Run 'low and light': aim for quicker, shorter steps (a cadence 5-10% higher) and push "
        "forwards rather than upwards. Less bounce means less load for a forward head to carry."
    ),
    "form_drift": (
        "Your form changes as you tire: check in with your posture every few minutes (tall, "
        "relaxed shoulders, eyes ahead), and build endurance of the postural muscles with core "
        "and upper-back work."
    ),
}

MEDICAL_CAUTION = (
    "Mild muscle soreness after running is common. Sharp or persistent pain, or neck pain with "
    "numbness, tingling or shooting pains into the arms, needs a doctor or physiotherapist "
    "before you run again. formcheck measures running form from video; it is not a diagnosis."
)

#: Live coaching (``formcheck live``): the one thing to change, as a short phrase a
#: runner can take in mid-stride (spoken or shown in large text). One per fault code.
CUES: dict[str, str] = {
    "forward_head": "head up, run tall",
    "waist_lean": "stand tall from the hips",
    "raised_shoulders": "drop your shoulders",
    "gaze_down": "eyes up, look ahead",
    "excessive_bounce": "quicker, lighter steps",
}
