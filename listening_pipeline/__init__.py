"""listening_pipeline: social listening for short-video networks."""

from listening_pipeline.lib.devices import keep_openmp_runtimes_apart

# Before anything imports torch: speech (CTranslate2) and torch's models must not share one OpenMP runtime.
keep_openmp_runtimes_apart()
