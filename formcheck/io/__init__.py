"""Files: reading video frames, and writing / reading an analysis folder."""
