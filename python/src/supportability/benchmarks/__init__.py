"""Benchmarks that train or time models: the model-kind comparison (BANKING77, synthetic) and latency."""
