"""The daily schedule collects the last complete day and re-collects the two before it, per hashtag."""

import datetime as dt

from dagster import build_schedule_context

from listening_pipeline.defs.collect.automation import daily_collection, days_to_collect
from listening_pipeline.partitions import hashtag_partitions, split_partition_key


def test_days_to_collect_are_the_last_complete_day_and_two_late_days():
    scheduled = dt.datetime(2026, 11, 22, 6, 0, tzinfo=dt.UTC)
    assert days_to_collect(scheduled) == [dt.date(2026, 11, 21), dt.date(2026, 11, 20), dt.date(2026, 11, 19)]


def test_schedule_requests_every_tracked_hashtag_for_three_days(instance):
    instance.add_dynamic_partitions(hashtag_partitions.name, ["schedtag_a", "schedtag_b"])
    tracked = instance.get_dynamic_partitions(hashtag_partitions.name)
    context = build_schedule_context(
        instance=instance, scheduled_execution_time=dt.datetime(2026, 11, 22, 6, 0, tzinfo=dt.UTC)
    )
    requests = list(daily_collection(context))
    keys = {split_partition_key(r.partition_key) for r in requests}
    assert len(requests) == len(keys) == 3 * len(tracked)
    assert {d for _, d in keys} == {dt.date(2026, 11, 21), dt.date(2026, 11, 20), dt.date(2026, 11, 19)}
    assert {h for h, _ in keys} == set(tracked)
    assert len({r.run_key for r in requests}) == len(requests)
