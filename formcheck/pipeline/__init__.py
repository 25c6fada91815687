"""Orchestration of one clip: pose pass, analysis, outputs written atomically."""
