"""`make bench`: benchmarks of the kit (not shipped), each row a ratio to a baseline of the same run."""
