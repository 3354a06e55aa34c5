"""Turning files into searchable chunks: loaders per format, chunking with offsets, incremental indexing."""
