import types

import assistant


def test_the_package_exports_exactly_its_public_names() -> None:
    public = {
        name
        for name in dir(assistant)
        if not name.startswith("_") and not isinstance(getattr(assistant, name), types.ModuleType)
    }
    assert set(assistant.__all__) == public
    assert {"Assistant", "Answer", "Passage", "Citation", "AssistantError"} <= set(assistant.__all__)
