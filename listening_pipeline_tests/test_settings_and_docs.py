"""Settings for the partitions and the schedule; the README's variable table, the docs pages and the LICENSE."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from listening_pipeline import environment, partitions
from listening_pipeline import settings as settings_module
from listening_pipeline.settings import PROJECT_ROOT, Settings, first_day_from_env

README = PROJECT_ROOT / "README.md"
DOCS = PROJECT_ROOT / "docs"
_SETTINGS_NAMES = ("LISTENING_PIPELINE_FIRST_DAY", "LISTENING_PIPELINE_DAILY_CRON", "LISTENING_PIPELINE_RECOLLECT_DAYS")


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh interpreter: partitions are built at import, so a setting needs a new process."""
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_defaults_are_unchanged(monkeypatch):
    for name in _SETTINGS_NAMES:
        monkeypatch.delenv(name, raising=False)
    settings = Settings.from_env()
    assert (settings.first_day, settings.daily_cron, settings.recollect_days) == (dt.date(2025, 1, 1), "0 6 * * *", 2)
    if "LISTENING_PIPELINE_FIRST_DAY" not in os.environ:
        assert partitions.FIRST_DAY == "2025-01-01"
        assert partitions.day_partitions.start.date() == dt.date(2025, 1, 1)


def test_an_earlier_first_day_makes_older_days_partitions_and_the_schedule_follows_its_settings():
    code = """
import datetime as dt
from dagster import MultiPartitionKey
from listening_pipeline.definitions import defs
from listening_pipeline.partitions import day_partitions, split_partition_key
from listening_pipeline.defs.collect.automation import daily_collection, days_to_collect

assert day_partitions.start.date() == dt.date(2024, 1, 1), day_partitions.start
assert day_partitions.has_partition_key("2024-03-15"), "2024 day is not a partition"
assert not day_partitions.has_partition_key("2023-12-31")
assert split_partition_key(MultiPartitionKey({"day": "2024-03-15", "hashtag": "tag"})) == ("tag", dt.date(2024, 3, 15))
definitions = defs()
job_days = definitions.resolve_job_def("hashtag_day_job").partitions_def.get_partitions_def_for_dimension("day")
assert job_days.has_partition_key("2024-03-15"), "the loaded job does not know 2024 days"
assert daily_collection.cron_schedule == "30 5 * * *", daily_collection.cron_schedule
assert len(days_to_collect(dt.datetime(2026, 1, 10, 6, tzinfo=dt.UTC))) == 5
print("ok")
"""
    result = _python(
        code,
        LISTENING_PIPELINE_FIRST_DAY="2024-01-01",
        LISTENING_PIPELINE_DAILY_CRON="30 5 * * *",
        LISTENING_PIPELINE_RECOLLECT_DAYS="4",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")


def test_an_invalid_first_day_fails_at_import_naming_the_variable():
    result = _python("import listening_pipeline.partitions", LISTENING_PIPELINE_FIRST_DAY="2024-13-01")
    assert result.returncode != 0
    assert "LISTENING_PIPELINE_FIRST_DAY" in result.stderr and "'2024-13-01'" in result.stderr


@pytest.mark.parametrize("value", ["2024-13-01", "yesterday", "20240101", "2024-01-01T00:00"])
def test_first_day_must_be_an_iso_date(value):
    with pytest.raises(ValueError, match="LISTENING_PIPELINE_FIRST_DAY"):
        first_day_from_env({"LISTENING_PIPELINE_FIRST_DAY": value})
    assert first_day_from_env({"LISTENING_PIPELINE_FIRST_DAY": " 2024-02-29 "}) == dt.date(2024, 2, 29)
    assert first_day_from_env({}) == dt.date(2025, 1, 1)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LISTENING_PIPELINE_DAILY_CRON", "every day"),
        ("LISTENING_PIPELINE_RECOLLECT_DAYS", "-1"),
        ("LISTENING_PIPELINE_RECOLLECT_DAYS", "two"),
    ],
)
def test_invalid_schedule_settings_name_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=name):
        Settings.from_env()


def _names_read_in(path: Path) -> set[str]:
    return set(re.findall(r"\bLISTENING_PIPELINE_[A-Z0-9_]+\b", path.read_text(encoding="utf-8")))


def test_every_variable_the_code_reads_and_every_settings_field_has_a_row():
    read = set().union(*(_names_read_in(p) for p in (PROJECT_ROOT / "listening_pipeline").rglob("*.py")))
    read |= _names_read_in(PROJECT_ROOT / "dbt" / "profiles.yml")
    read -= {"LISTENING_PIPELINE_"}  # the prefix itself, where code scans the environment for it
    assert "LISTENING_PIPELINE_FIRST_DAY" in read and "LISTENING_PIPELINE_DBT_TARGET" in read
    registered = {v.name for v in environment.VARIABLES}
    missing = sorted(read - registered)
    assert not missing, f"add a Variable(...) row to listening_pipeline/environment.py for: {missing}"
    stale = sorted(n for n in registered - read if n.startswith("LISTENING_PIPELINE_"))
    assert not stale, f"listening_pipeline/environment.py documents variables nothing reads: {stale}"
    unclaimed = sorted(environment.settings_fields() - {v.field for v in environment.VARIABLES})
    assert not unclaimed, f"Settings fields no variable in listening_pipeline/environment.py sets: {unclaimed}"
    assert all(v.meaning for v in environment.VARIABLES)


def test_the_readme_table_is_the_one_rendered_from_the_settings(monkeypatch):
    monkeypatch.setenv("LISTENING_PIPELINE_PG_PORT", "6543")  # the table shows defaults, not this shell's values
    readme = README.read_text(encoding="utf-8")
    assert environment.readme_with_table(readme) == readme, (
        "the environment-variable table in README.md is stale; rewrite it with "
        ".venv/bin/python -m listening_pipeline.environment --write"
    )
    assert "| `LISTENING_PIPELINE_PG_PORT` | `5432` |" in readme
    assert os.environ["LISTENING_PIPELINE_PG_PORT"] == "6543"  # and the environment is put back


def test_a_changed_default_in_settings_changes_the_rendered_table(monkeypatch):
    monkeypatch.setattr(settings_module, "RECOLLECT_DAYS", 9)  # as if someone edited the default in settings.py
    assert "| `LISTENING_PIPELINE_RECOLLECT_DAYS` | `9` |" in environment.table()


def test_the_docs_pages_exist_and_the_readme_links_them():
    readme = README.read_text(encoding="utf-8")
    for page in ("add-a-brand.md", "add-a-hashtag-or-query.md", "postgresql.md", "bi.md", "troubleshooting.md"):
        assert (DOCS / page).is_file()
        assert f"(docs/{page})" in readme
    for page in ("add-a-hashtag-or-query.md", "postgresql.md"):
        assert "(bi.md)" in (DOCS / page).read_text(encoding="utf-8"), f"{page} does not link the BI guide"
    postgres = (DOCS / "postgresql.md").read_text(encoding="utf-8")
    for needle in ("LISTENING_PIPELINE_WAREHOUSE=postgres", "LISTENING_PIPELINE_DBT_TARGET", "--target postgres"):
        assert needle in postgres
    profile = (PROJECT_ROOT / "dbt" / "profiles.yml").read_text(encoding="utf-8")
    assert "env_var('LISTENING_PIPELINE_DBT_TARGET', env_var('LISTENING_PIPELINE_WAREHOUSE'" in profile, (
        "dbt/profiles.yml picks its target from another variable now: update docs/postgresql.md"
    )
    hashtags = (DOCS / "add-a-hashtag-or-query.md").read_text(encoding="utf-8")
    for needle in ("videos.jsonl", "research_api", "hashtags sync", "catalog_sensor", "video_query_body"):
        assert needle in hashtags
    brand = (DOCS / "add-a-brand.md").read_text(encoding="utf-8")
    for needle in ("aliases: [", "logos", "hashtags", "languages", "catalog_sensor", "models_job", "metrics"):
        assert needle in brand


def test_troubleshooting_has_ten_errors_quoting_messages_the_code_prints():
    text = (DOCS / "troubleshooting.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (\d+)\. ", text, flags=re.MULTILINE)
    assert headings == [str(n) for n in range(1, 11)]
    for section in re.split(r"^## \d+\. ", text, flags=re.MULTILINE)[1:]:
        assert "**Cause**" in section and "**Fix**" in section, section.splitlines()[0]
    quotes = re.findall(r"^> `([^`]+)`$", text, flags=re.MULTILINE)
    assert len(quotes) >= 9
    sources = "\n".join(
        path.read_text(encoding="utf-8")
        for folder, pattern in (("listening_pipeline", "*.py"), ("dbt/macros", "*.sql"))
        for path in (PROJECT_ROOT / folder).rglob(pattern)
    )
    stale = [quote for quote in quotes if quote not in sources]
    assert not stale, f"troubleshooting.md quotes messages the code no longer prints: {stale}"


def test_license_is_apache_2():
    text = (PROJECT_ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.lstrip().startswith("Apache License") and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text and "Copyright 2026 listening_pipeline contributors" in text
    assert 'license = { text = "Apache-2.0" }' in (PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_dbt_run_by_hand_writes_the_warehouse_the_pipeline_uses(tmp_path):
    """`dbt debug` in dbt/ with only LISTENING_PIPELINE_WAREHOUSE=postgres set targets PostgreSQL."""
    dbt = Path(sys.executable).parent / "dbt"
    env = {k: v for k, v in os.environ.items() if k != "LISTENING_PIPELINE_DBT_TARGET"}
    env.update(LISTENING_PIPELINE_WAREHOUSE="postgres", LISTENING_PIPELINE_PG_PORT="9", DBT_LOG_PATH=str(tmp_path))
    result = subprocess.run(
        [str(dbt), "debug", "--profiles-dir", "."],
        cwd=PROJECT_ROOT / "dbt",
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Registered adapter: postgres" in result.stdout, result.stdout[-2000:]
    assert "port 9 failed" in result.stdout  # it really tried the server the settings name
