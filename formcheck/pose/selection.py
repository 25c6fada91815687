"""Choosing the runner among the people the pose model saw.

Candidate poses of consecutive frames are linked into tracks: greedy matching on the
distance of the shoulder-hip centre from where the track's own motion predicts it,
gated by the person's torso length, plus how different the clothes' colour is. Two
people side by side at the same pace are alike in position, size and motion while
their outlines overlap; what stays different is what they wear, so a track keeps a
slowly updated colour of its trunk and a detection in clearly other colours cannot
continue it.
Each track is scored by how much of the clip it covers, how large it appears, and
how much it moves like a runner: in running (and walking) the feet alternate, so
the vertical distance between the two ankles swings from + to - every stride;
someone standing, or jumping with both feet together, scores near zero on that.
The best track is the runner; other tracks that never overlap it in time and sit
where it sits (the runner lost for a moment and found again) are joined to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from formcheck.model.pose import PoseSeries
from formcheck.model.results import VideoMeta
from formcheck.pose.blazepose import SKELETON, centre_scale, upright
from formcheck.pose.landmarker import Candidates

MIN_VIS = 0.3
#: Colours (RGB, 0-1, per patch) this far apart on both trunk patches are other clothes:
#: well above the change of one person's clothes between frames (shading, blur, an arm
#: swinging across one patch), well below e.g. red against yellow (~0.6).
COLOUR_GATE = 0.3
#: Weight of the colour difference against the distance (in gate widths, 0-1) in the
#: matching cost: a different shirt (~0.3 mean over the two patches) outweighs a
#: position error of most of a gate, the jitter of two overlapping outlines.
COLOUR_WEIGHT = 3.0
#: Frames of colour a track needs before its colour may refuse a detection.
COLOUR_MIN_FRAMES = 5


def colour_distance(a: np.ndarray | None, b: np.ndarray | None) -> tuple[float, float, float]:
    """(mean, smaller, larger) of the two trunk patches' RGB distances; NaN when unknown."""
    nan = float("nan")
    if a is None or b is None:
        return nan, nan, nan
    d = np.array([np.linalg.norm(a[:3] - b[:3]), np.linalg.norm(a[3:] - b[3:])])
    d = d[np.isfinite(d)]
    return (float(d.mean()), float(d.min()), float(d.max())) if d.size else (nan, nan, nan)


@dataclass
class Track:
    frames: list[int] = field(default_factory=list)
    slots: list[int] = field(default_factory=list)
    centre: np.ndarray = field(default_factory=lambda: np.zeros(2))
    scale: float = 0.0
    last: int = -1
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(2))  # px per frame
    colour: np.ndarray | None = None  # slowly updated trunk colour (6,)
    colour_frames: int = 0

    def update_colour(self, colour: np.ndarray | None) -> None:
        if colour is None or not np.isfinite(colour).all():
            return
        self.colour = colour.copy() if self.colour is None else 0.9 * self.colour + 0.1 * colour
        self.colour_frames += 1


class TrackLinker:
    """Links candidate poses into tracks one frame at a time (:meth:`add`, frames in
    order): the offline linking (:func:`link_tracks`) and the live mode's, which sees
    each frame as it comes."""

    def __init__(self, max_gap: int = 15) -> None:
        self.max_gap = max_gap
        self.tracks: list[Track] = []

    def add(self, i: int, xy: np.ndarray, vis: np.ndarray, count: int,
            colour: np.ndarray | None = None) -> None:
        """Frame ``i``'s ``count`` poses: ``xy`` (P, K, 2) px, ``vis`` (P, K), ``colour``
        (P, 6) or None."""
        tracks = self.tracks
        dets: list[tuple[int, np.ndarray, float, np.ndarray | None]] = []
        order = sorted(range(int(count)), key=lambda k: -float(np.nanmean(vis[k])))
        for k in order:
            centre, scale = centre_scale(xy[k])
            if not (np.all(np.isfinite(centre)) and scale > 1) or not upright(xy[k]):
                continue  # no torso, or upside down (never a runner: blazepose.upright)
            col = None if colour is None else colour[k]
            # Two poses on one person (the model sometimes doubles up, and both copies see
            # the same clothes): keep the surer one. Close but in other clothes: two people.
            if any(np.hypot(*(centre - c2)) < 0.35 * max(scale, s2)
                   and not colour_distance(col, col2)[2] > COLOUR_GATE for _, c2, s2, col2 in dets):
                continue
            dets.append((k, centre, scale, col))
        active = [t for t in tracks if i - t.last <= self.max_gap]
        pairs = []
        for ti, tr in enumerate(active):
            gap = i - tr.last
            predicted = tr.centre + tr.velocity * gap
            for di, (_, centre, scale, col) in enumerate(dets):
                d = float(np.hypot(*(centre - predicted)))
                gate = 0.6 * max(tr.scale, scale) * (1 + 0.15 * (gap - 1))
                ratio = scale / tr.scale if tr.scale > 0 else 1.0
                if not (d < gate and 0.6 < ratio < 1.67):
                    continue
                mean_cd, min_cd, _ = colour_distance(tr.colour, col)
                if tr.colour_frames >= COLOUR_MIN_FRAMES and min_cd > COLOUR_GATE:
                    continue  # other clothes: another person
                cost = d / gate + (COLOUR_WEIGHT * mean_cd if np.isfinite(mean_cd) else 0.0)
                pairs.append((cost, ti, di))
        used_t: set[int] = set()
        used_d: set[int] = set()
        for _cost, ti, di in sorted(pairs):
            if ti in used_t or di in used_d:
                continue
            used_t.add(ti)
            used_d.add(di)
            tr = active[ti]
            k, centre, scale, col = dets[di]
            step = (centre - tr.centre) / max(i - tr.last, 1)
            tr.velocity = 0.7 * tr.velocity + 0.3 * step
            tr.frames.append(i)
            tr.slots.append(k)
            tr.centre, tr.scale, tr.last = centre, 0.8 * tr.scale + 0.2 * scale, i
            tr.update_colour(col)
        for di, (k, centre, scale, col) in enumerate(dets):
            if di not in used_d:
                tr = Track([i], [k], centre, scale, i)
                tr.update_colour(col)
                tracks.append(tr)


def link_tracks(c: Candidates, max_gap: int = 15) -> list[Track]:
    """Greedy frame-to-frame linking of candidate poses into tracks (see the module)."""
    linker = TrackLinker(max_gap)
    for i in range(c.n_frames):
        linker.add(i, c.xy[i], c.vis[i], int(c.count[i]), None if c.colour is None else c.colour[i])
    return linker.tracks


def _track_arrays(c: Candidates, tr: Track) -> tuple[np.ndarray, np.ndarray]:
    f = np.asarray(tr.frames)
    s = np.asarray(tr.slots)
    return c.xy[f, s], c.vis[f, s]


def gait_score(xy: np.ndarray, vis: np.ndarray) -> float:
    """Spread of the left-minus-right ankle height, in torso lengths.

    Alternating feet (running, walking) give a large spread; standing still or
    jumping with both feet together give about zero.
    """
    la, ra = SKELETON.pair("ankle")
    ok = (vis[:, la] > MIN_VIS) & (vis[:, ra] > MIN_VIS)
    if ok.sum() < 5:
        return 0.0
    torso = np.hypot(*(np.nanmean(xy[:, list(SKELETON.pair("shoulder"))], axis=1)
                       - np.nanmean(xy[:, list(SKELETON.pair("hip"))], axis=1)).T)
    dy = (xy[ok, la, 1] - xy[ok, ra, 1]) / np.nanmedian(torso[ok])
    return float(np.nanpercentile(dy, 90) - np.nanpercentile(dy, 10))


def score_track(c: Candidates, tr: Track, width: int, height: int, max_scale: float) -> dict:
    xy, vis = _track_arrays(c, tr)
    return score_poses(xy, vis, c.n_frames, width, height, max_scale)


def score_poses(xy: np.ndarray, vis: np.ndarray, n_frames: int, width: int, height: int,
                max_scale: float) -> dict:
    """A track's selection score from its poses ``xy`` (n, K, 2) px and ``vis`` (n, K) over
    a stretch of ``n_frames`` frames (the whole clip offline, the recent window live):
    coverage x size x centrality x gait (see the module text)."""
    cs = [centre_scale(p) for p in xy]
    centres = np.array([x[0] for x in cs])
    scales = np.array([x[1] for x in cs])
    coverage = len(xy) / max(n_frames, 1)
    size = float(np.median(scales)) / max_scale if max_scale > 0 else 0.0
    off = (np.median(centres, axis=0) - [width / 2, height / 2]) / [width / 2, height / 2]
    centrality = float(1.0 - 0.5 * min(1.0, float(np.hypot(*off))))
    gait = gait_score(xy, vis)
    score = coverage * (0.5 + 0.5 * size) * centrality * (0.1 + min(gait, 1.5))
    return {"coverage": round(coverage, 3), "size": round(size, 3),
            "centrality": round(centrality, 3), "gait": round(gait, 3),
            "score": round(float(score), 4), "frames": len(xy),
            "median_centre": np.median(centres, axis=0), "median_scale": float(np.median(scales))}


def _continues(c: Candidates, first: Track, then: Track, fps: float) -> bool:
    """Whether track ``then`` starts within 1 s after ``first`` ends, near where it ended
    (allowing the person to move on by up to two torso lengths per second), at a similar size."""
    gap = then.frames[0] - first.frames[-1]
    if not 0 < gap <= fps:
        return False
    end_c, end_s = centre_scale(c.xy[first.frames[-1], first.slots[-1]])
    start_c, start_s = centre_scale(c.xy[then.frames[0], then.slots[0]])
    return near_where_it_ended(end_c, end_s, start_c, start_s, gap / fps)


def near_where_it_ended(end_centre: np.ndarray, end_scale: float, start_centre: np.ndarray,
                        start_scale: float, elapsed_s: float) -> bool:
    """Whether a person seen ending at ``end_centre`` (size ``end_scale``) can be the one
    seen ``elapsed_s`` later at ``start_centre`` (size ``start_scale``): within 0.6 torso
    lengths plus two a second (a runner's reach), at a similar size (0.6-1.67x). Offline's
    joining of a track lost and found again (:func:`_continues`) and the live tracker's.

    Parameters
    ----------
    end_centre, start_centre : (2,) arrays
        Body centres, px.
    end_scale, start_scale : float
        Body sizes (torso lengths), px.
    elapsed_s : float
        Seconds from the end to the start.

    Returns
    -------
    bool
    """
    if not (np.all(np.isfinite(end_centre)) and np.all(np.isfinite(start_centre))) or end_scale <= 0:
        return False
    reach = end_scale * (0.6 + 2.0 * elapsed_s)
    return bool(np.hypot(*(start_centre - end_centre)) < reach and 0.6 < start_scale / end_scale < 1.67)


def _same_clothes(a: Track, b: Track) -> bool:
    """False only when both tracks' colours are known and differ on both trunk patches."""
    if a.colour_frames < COLOUR_MIN_FRAMES or b.colour_frames < COLOUR_MIN_FRAMES:
        return True
    return not colour_distance(a.colour, b.colour)[1] > COLOUR_GATE


def select_runner(c: Candidates, video: VideoMeta, people_seen: int) -> PoseSeries:
    """Pick the runner's track and return it as a :class:`PoseSeries`."""
    series = PoseSeries.empty(c.n_frames, video, SKELETON)
    series.t[:] = c.t
    tracks = [t for t in link_tracks(c) if len(t.frames) >= 3]
    if not tracks:
        series.selection = {"method": "none", "people_seen": people_seen, "tracks": 0}
        return series
    max_scale = max(float(np.median([centre_scale(c.xy[f, s])[1] for f, s in
                                     zip(t.frames, t.slots, strict=True)])) for t in tracks)
    scored = [(score_track(c, t, video.width, video.height, max_scale), t) for t in tracks]
    scored.sort(key=lambda st: st[0]["score"], reverse=True)
    best_info, best = scored[0]
    chosen = [best]
    taken = set(best.frames)
    for info, tr in scored[1:]:
        if taken.intersection(tr.frames):
            continue
        d = float(np.hypot(*(info["median_centre"] - best_info["median_centre"])))
        ratio = info["median_scale"] / best_info["median_scale"]
        if d < 1.0 * best_info["median_scale"] and 0.7 < ratio < 1.4 and _same_clothes(best, tr):
            chosen.append(tr)
            taken.update(tr.frames)
    # A runner crossing the frame is lost and found again elsewhere: chain tracks whose
    # start continues where a chosen track ended (or the reverse), within a second.
    fps = video.fps or 30.0
    grew = True
    while grew:
        grew = False
        for _info, tr in scored[1:]:
            if any(tr is t for t in chosen) or taken.intersection(tr.frames):
                continue
            if not _same_clothes(best, tr):
                continue
            if any(_continues(c, a, b, fps) or _continues(c, b, a, fps) for a in chosen for b in [tr]):
                chosen.append(tr)
                taken.update(tr.frames)
                grew = True
    for tr in chosen:
        f = np.asarray(tr.frames)
        s = np.asarray(tr.slots)
        series.xy[f] = c.xy[f, s]
        series.z[f] = c.z[f, s]
        series.visibility[f] = c.vis[f, s]
        series.world[f] = c.world[f, s]
    others = {f for _, tr in scored if not any(tr is t for t in chosen) for f in tr.frames}
    multi = people_seen > 1 or sum(1 for info, _ in scored if info["coverage"] > 0.2) > 1
    if multi:
        reason = ("several people in view: chose the track with the best combination of "
                  "clip coverage, size, centrality and alternating-feet (gait) motion")
    else:
        reason = "one person in view"
    series.selection = {
        "method": "multi_person_track_score" if multi else "single_person",
        "people_seen": int(people_seen),
        "tracks": len(tracks),
        "reason": reason,
        "chosen": {k: v for k, v in best_info.items() if k not in ("median_centre", "median_scale")},
        "runner_up": ({k: v for k, v in scored[1][0].items()
                       if k not in ("median_centre", "median_scale")} if len(scored) > 1 else None),
        "joined_tracks": len(chosen),
        # frames where someone else is seen and the runner is not (another athlete, or an
        # edit joining takes): the runner's absence there is not the model missing them
        "others_without_runner_frames": len(others - taken),
    }
    return series
