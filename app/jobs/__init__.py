"""Durable batch work: the per-dataset task of a catalog run (``work``) and where it runs
(``executors``: inline, a process pool, or Dask). The run and item rows live in
``app.storage.catalogs``; the orchestration in ``app.services.catalogs``."""
