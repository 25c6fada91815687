"""Live coaching: a causal, frame-by-frame pipeline from a frame source to posture cues."""
