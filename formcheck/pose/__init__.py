"""From frames to one runner's landmarks: the model bundle, MediaPipe, runner selection."""
