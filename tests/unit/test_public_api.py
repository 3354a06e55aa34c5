import assistant


def test_the_package_exports_exactly_its_public_names() -> None:
    exported = {name for name in dir(assistant) if not name.startswith("_")}
    modules = {"answerers", "catalog", "citations", "embedder", "errors", "retrieval", "service", "settings",
               "store", "text", "types", "cli", "llm", "model_files", "prompts", "condense"}
    assert set(assistant.__all__) == exported - modules
    assert {"Assistant", "Answer", "Passage", "Citation", "AssistantError"} <= set(assistant.__all__)
