"""Pure data: analysis settings, the pose series, and the typed result of an analysis."""
