"""The daily schedule collects the last complete day and re-collects the two before it, per hashtag."""

import datetime as dt

from dagster import SkipReason, build_schedule_context

from listening_pipeline.defs.collect.automation import daily_collection, days_to_collect
from listening_pipeline.defs.resources import CatalogResource
from listening_pipeline.partitions import hashtag_partitions, split_partition_key


def test_days_to_collect_are_the_last_complete_day_and_two_late_days():
    scheduled = dt.datetime(2026, 11, 22, 6, 0, tzinfo=dt.UTC)
    assert days_to_collect(scheduled) == [dt.date(2026, 11, 21), dt.date(2026, 11, 20), dt.date(2026, 11, 19)]


def _catalog(tmp_path, hashtags) -> CatalogResource:
    path = tmp_path / "brands.yaml"
    path.write_text(
        "hashtags: [" + ", ".join(hashtags) + "]\nbrands:\n  - name: Acme\n    competitor_group: g\n", encoding="utf-8"
    )
    return CatalogResource(path=str(path))


def _requests(instance, catalog):
    context = build_schedule_context(
        instance=instance,
        scheduled_execution_time=dt.datetime(2026, 11, 22, 6, 0, tzinfo=dt.UTC),
        resources={"catalog": catalog},
    )
    return daily_collection(context)


def test_schedule_requests_every_tracked_hashtag_for_three_days(instance, tmp_path):
    instance.add_dynamic_partitions(hashtag_partitions.name, ["schedtag_a", "schedtag_b"])
    requests = _requests(instance, _catalog(tmp_path, ["schedtag_a", "schedtag_b"]))
    keys = {split_partition_key(r.partition_key) for r in requests}
    assert len(requests) == len(keys) == 3 * 2
    assert {d for _, d in keys} == {dt.date(2026, 11, 21), dt.date(2026, 11, 20), dt.date(2026, 11, 19)}
    # Only the catalog's hashtags: partitions other tests added (or the catalog dropped) are not collected.
    assert {h for h, _ in keys} == {"schedtag_a", "schedtag_b"}
    assert len({r.run_key for r in requests}) == len(requests)


def test_schedule_skips_with_the_reason_when_the_catalog_is_refused(instance, tmp_path):
    path = tmp_path / "brands.yaml"
    path.write_text("hashtags: [a]\nhashtags: [b]\nbrands: []\n", encoding="utf-8")
    result = _requests(instance, CatalogResource(path=str(path)))
    assert isinstance(result, SkipReason)
    assert "refused" in result.skip_message and "duplicate key 'hashtags'" in result.skip_message


def test_schedule_collects_the_catalogs_keywords_and_creators_like_its_hashtags(instance, tmp_path):
    path = tmp_path / "brands.yaml"
    path.write_text(
        "hashtags: [schedtag_c]\nkeywords: [oat milk]\nbrands:\n  - name: Acme\n    creators: ['@acme.official']\n",
        encoding="utf-8",
    )
    queries = ["schedtag_c", "keyword:oat_milk", "creator:acme.official"]
    instance.add_dynamic_partitions(hashtag_partitions.name, queries)
    requests = _requests(instance, CatalogResource(path=str(path)))
    assert {split_partition_key(r.partition_key)[0] for r in requests} == set(queries)
    assert len(requests) == 3 * len(queries)
