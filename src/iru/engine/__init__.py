"""Engines that run the pipeline's batch functions: in-process here, Dask later."""
