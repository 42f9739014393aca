"""The server's typed settings: values, aliases, bad values reported, and which parse broken code
gets (settings.broken_code_parse)."""

from __future__ import annotations

from heedful.server.settings import ServerSettings


def merged(values: dict) -> tuple[ServerSettings, list[str]]:
    reports: list[str] = []
    return ServerSettings().merged(values, "initializationOptions", reports.append), reports


def test_broken_code_is_parsed_incrementally_unless_asked_or_recorded():
    assert not ServerSettings().exact_trees
    settings, reports = merged({"brokenCodeParse": "fresh"})
    assert settings.broken_code_parse == "fresh" and settings.exact_trees and not reports
    # a study's recorded diagnostics must be reproducible from its recorded texts
    settings, _ = merged({"study_recording": True})
    assert settings.broken_code_parse == "incremental" and settings.exact_trees


def test_a_bad_value_is_reported_and_the_default_kept():
    settings, reports = merged({"broken_code_parse": "sometimes", "debounce_ms": -1})
    assert settings == ServerSettings()
    assert any("'broken_code_parse' has a bad value 'sometimes'" in r for r in reports)
    assert any("'debounce_ms' has a bad value -1" in r for r in reports)
