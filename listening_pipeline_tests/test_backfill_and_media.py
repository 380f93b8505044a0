"""Backfills over a range of hashtag-days from the CLI; media stores behind any fsspec URL."""

from listening_pipeline.cli import main as cli
from listening_pipeline.lib.media.store import MediaStore


def test_cli_backfill_runs_every_hashtag_day_of_the_range(instance, sample_corpus, capsys):
    from dagster import AssetKey

    assert (
        cli(["backfill", "--start", "2026-11-02", "--end", "2026-11-03", "--hashtag", "#CoffeeTime", "--collect-only"])
        == 0
    )
    out = capsys.readouterr().out
    assert "backfilling 2 hashtag-day partition(s)" in out and "FAILED" not in out
    done = set(instance.get_materialized_partitions(AssetKey("comments")))
    assert {"2026-11-02|coffeetime", "2026-11-03|coffeetime"} <= done


def test_cli_backfill_refuses_a_hostile_hashtag(capsys):
    assert cli(["backfill", "--start", "2026-11-02", "--end", "2026-11-02", "--hashtag", "a|b"]) == 2
    assert "hashtag" in capsys.readouterr().err


def test_media_store_works_on_any_fsspec_url(tmp_path):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00\x01media bytes")
    store = MediaStore("memory://listening-test/media")
    uri = store.put(clip, "videos/1.mp4")
    assert uri == "memory://listening-test/media/videos/1.mp4"
    assert store.put(clip, "videos/1.mp4") == uri  # stored once
    with store.local_path(uri) as local:
        assert local.read_bytes() == clip.read_bytes()
