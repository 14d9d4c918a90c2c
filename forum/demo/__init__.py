"""`forum demo`: the report's data, and synthetic data at scale for benchmarks."""
