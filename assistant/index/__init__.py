"""The index: dense vectors (store), the catalog of ingested files with its keyword index, and the writer lock."""
