"""`make bench` (``python -m bench``): the pipeline's enrichment path against a naive script and the decode-only
ceiling, measured in one run on a corpus of real-upload-size clips; results in ``bench/results/`` and
``bench/RESULTS.md``. A benchmark, never a timed test.

The older single-question scripts beside it (``partition_throughput.py``, ``frame_dedup.py``, ...) still run on
their own with ``.venv/bin/python bench/<script>.py``.
"""
