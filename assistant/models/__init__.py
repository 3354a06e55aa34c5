"""The models: the embedding model and the language-model runtimes (run time); their builders live in install/."""
