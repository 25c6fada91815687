"""A folder of clips, resumable, in worker processes or on a Dask cluster."""
