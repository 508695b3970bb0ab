"""Speed benchmarks, run with ``python -m benchmarks`` (``make bench``); figures, not assertions."""
