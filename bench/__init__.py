"""The load generator and the baseline bot of ``make bench`` (run by ``scripts/bench.py``)."""
