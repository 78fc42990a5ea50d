"""Suite-wide settings: Hypothesis draws the same examples on every run (CI must not flake on a
new random draw; a failure found once is found again), without a per-example deadline (the
machines' load varies)."""
from hypothesis import settings

settings.register_profile("losslab", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("losslab")
