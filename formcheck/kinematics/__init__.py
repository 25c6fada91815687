"""Pure kinematics on landmark arrays: cleaning, posture metrics, steps, camera view."""
