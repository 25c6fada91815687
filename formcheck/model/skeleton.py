"""A named skeleton: the points a pose model reports, in its order, asked for by name.

Everything that reads landmark arrays (metrics, fault context, drawing, the synthetic
runner) asks a :class:`Skeleton` for the index of ``"left_ear"`` or the pair of
``"shoulder"``, never for a raw number, so another pose model with another skeleton
brings its own instance and nothing downstream changes.

This module is the skeleton definition: the generic class and the instances that saved
files may refer to by name (:data:`BLAZEPOSE`, the 33 points of MediaPipe Pose, the
skeleton of every landmark file formcheck has written so far). The pose backend that
produces a skeleton's points names it (:data:`formcheck.pose.blazepose.SKELETON`); the
data layer holds the definition because landmark files are read below the pose layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

SIDES = ("left", "right")


def _part(name: str) -> tuple[str, str] | None:
    """``("left", "ear")`` for ``left_ear`` or ``ear_left``; None for an unsided point."""
    for side in SIDES:
        if name.startswith(side + "_"):
            return side, name[len(side) + 1:]
        if name.endswith("_" + side):
            return side, name[: -len(side) - 1]
    return None


@dataclass(frozen=True)
class Skeleton:
    """The ordered points of a pose model, with the edges drawn between them.

    Parameters
    ----------
    name : str
        The skeleton's name (as landmark files refer to it).
    points : tuple of str
        Point names in the model's order: point ``k`` is row ``k`` of the landmark arrays.
        A sided point is named ``left_<part>`` / ``right_<part>`` (or ``<part>_left`` /
        ``<part>_right``); the two of one part form a left/right pair.
    edges : tuple of (str, str)
        Pairs of point names joined when drawing the skeleton.
    details : tuple of str
        Points too small to draw as joints at video scale (the eyes and mouth of a face).

    Raises
    ------
    ValueError
        A point name repeats, or an edge or detail names a point the skeleton lacks.
    """

    name: str
    points: tuple[str, ...]
    edges: tuple[tuple[str, str], ...] = ()
    details: tuple[str, ...] = ()
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(set(self.points)) != len(self.points):
            raise ValueError(f"skeleton {self.name}: a point name repeats")
        object.__setattr__(self, "_index", {p: i for i, p in enumerate(self.points)})
        for a, b in self.edges:
            self.index(a), self.index(b)
        for p in self.details:
            self.index(p)

    def __len__(self) -> int:
        return len(self.points)

    @property
    def n(self) -> int:
        """The number of points (the landmark arrays' second axis)."""
        return len(self.points)

    def index(self, name: str) -> int:
        """The row of point ``name`` in the landmark arrays.

        Parameters
        ----------
        name : str
            A point name, e.g. ``"left_ear"``.

        Returns
        -------
        int

        Raises
        ------
        ValueError
            The skeleton has no such point.
        """
        try:
            return self._index[name]
        except KeyError:
            raise ValueError(f"skeleton {self.name} has no point {name!r}") from None

    def indices(self, *names: str) -> list[int]:
        """The rows of several points, in the order given (a list, for fancy indexing)."""
        return [self.index(n) for n in names]

    def pair(self, part: str) -> tuple[int, int]:
        """The rows of the left and right point of ``part`` (e.g. ``"ear"``).

        Parameters
        ----------
        part : str
            The part's name without its side.

        Returns
        -------
        (int, int)
            Left row, right row.

        Raises
        ------
        ValueError
            The skeleton has no left/right pair of that name.
        """
        try:
            return self.pairs[part]
        except KeyError:
            raise ValueError(f"skeleton {self.name} has no left/right pair {part!r}") from None

    @cached_property
    def pairs(self) -> dict[str, tuple[int, int]]:
        """Every left/right pair: part name -> (left row, right row), in point order."""
        sided: dict[str, dict[str, int]] = {}
        for i, p in enumerate(self.points):
            got = _part(p)
            if got is not None:
                sided.setdefault(got[1], {})[got[0]] = i
        return {part: (s["left"], s["right"]) for part, s in sided.items() if len(s) == 2}

    @property
    def mirror(self) -> list[int]:
        """The row order that swaps every left point with its right one (a mirror
        image relabelled): ``xy[:, skeleton.mirror]``."""
        order = list(range(self.n))
        for li, ri in self.pairs.values():
            order[li], order[ri] = ri, li
        return order

    @property
    def edge_indices(self) -> tuple[tuple[int, int], ...]:
        """The drawing edges as row pairs."""
        return tuple((self.index(a), self.index(b)) for a, b in self.edges)

    @property
    def detail_indices(self) -> frozenset[int]:
        """The rows of :attr:`details`."""
        return frozenset(self.index(p) for p in self.details)


#: MediaPipe Pose (BlazePose topology): the skeleton of every landmark file so far.
BLAZEPOSE = Skeleton(
    name="blazepose",
    points=(
        "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner",
        "right_eye", "right_eye_outer", "left_ear", "right_ear", "mouth_left",
        "mouth_right", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
        "left_wrist", "right_wrist", "left_pinky", "right_pinky", "left_index",
        "right_index", "left_thumb", "right_thumb", "left_hip", "right_hip",
        "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
        "right_heel", "left_foot_index", "right_foot_index",
    ),
    edges=(
        ("left_shoulder", "right_shoulder"), ("left_shoulder", "left_elbow"),
        ("left_elbow", "left_wrist"), ("right_shoulder", "right_elbow"),
        ("right_elbow", "right_wrist"), ("left_shoulder", "left_hip"),
        ("right_shoulder", "right_hip"), ("left_hip", "right_hip"),
        ("left_hip", "left_knee"), ("left_knee", "left_ankle"), ("left_ankle", "left_heel"),
        ("left_heel", "left_foot_index"), ("left_ankle", "left_foot_index"),
        ("right_hip", "right_knee"), ("right_knee", "right_ankle"),
        ("right_ankle", "right_heel"), ("right_heel", "right_foot_index"),
        ("right_ankle", "right_foot_index"), ("nose", "left_ear"), ("nose", "right_ear"),
    ),
    details=(
        "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
        "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right",
    ),
)

#: Skeletons a landmark file may name; a file that names none was written with BlazePose.
SKELETONS: dict[str, Skeleton] = {BLAZEPOSE.name: BLAZEPOSE}
DEFAULT = BLAZEPOSE
