"""Queries beyond hashtags: a keyword or a creator handle is a partition like a hashtag, through the
same gate, collected from either source with the right search, and counted in the marts under its key."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest
from dagster import AssetKey, AssetSelection

from listening_pipeline.catalog import CatalogError, load_catalog
from listening_pipeline.cli import main as cli
from listening_pipeline.lib.sources.folder import FolderSource, partitions_in_folder
from listening_pipeline.lib.sources.research_api import ResearchApiClient, ResearchApiSource
from listening_pipeline.partitions import HASHTAG_DIMENSION, hashtag_partitions, partition_key, split_partition_key
from listening_pipeline.queries import InvalidQuery, normalize_query, parse_query
from listening_pipeline_tests.fake_research_api import VIDEO_QUERY_PATH, FakeResearchApi
from listening_pipeline_tests.history import copied_history, record_day

DAY = dt.date(2026, 10, 20)
NOON = int(dt.datetime(2026, 10, 20, 12, tzinfo=dt.UTC).timestamp())


@pytest.mark.parametrize(
    "raw, key",
    [
        ("#CoffeeTime", "coffeetime"),
        ("hashtag:coffeetime", "coffeetime"),
        ("keyword:Oat  Milk", "keyword:oat_milk"),
        ("keyword:oat_milk", "keyword:oat_milk"),
        ("Keyword: Café crème", "keyword:café_crème"),
        ("keyword:e-bike", "keyword:e-bike"),
        ("@Brand.Hopper", "creator:brand.hopper"),
        ("creator:@trail_tales", "creator:trail_tales"),
    ],
)
def test_a_query_is_written_as_a_key_that_says_its_kind(raw, key):
    assert normalize_query(raw) == key
    assert normalize_query(key) == key, "a key is its own normal form"
    assert split_partition_key(partition_key(raw, DAY)) == (key, DAY)


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("creator:../../etc", "not a TikTok username"),
        ("@a..b", "not a TikTok username"),
        ("@.hidden", "not a TikTok username"),
        ("@x|y", "not a TikTok username"),
        ("@" + "a" * 25, "TikTok allows 24"),
        ("creator:", "empty"),
        ("keyword:", "empty"),
        ("keyword:a|b", "refused: '|'"),
        ("keyword:x'; drop table videos;--", "refused"),
        ("keyword:a,b", "refused: ','"),
        ("keyword:-oat", "word's edge"),
        ("keyword:one two three four five six", "at most 5"),
        ("place:paris", "keyword:WORDS or creator:HANDLE"),
        ("a|b", "hashtag"),
    ],
)
def test_an_unsafe_query_is_refused_with_its_reason(raw, reason):
    with pytest.raises(InvalidQuery, match=None) as caught:
        normalize_query(raw)
    assert reason in str(caught.value)


def test_the_catalog_tracks_keywords_and_creators_after_its_hashtags(tmp_path):
    path = tmp_path / "brands.yaml"
    path.write_text(
        "hashtags: [coffeetime]\nkeywords: [oat milk]\ncreators: ['@trail.tales']\n"
        "brands:\n  - name: Mokka Mia\n    creators: [mokkamia.official, trail.tales]\n    keywords: [Mokka Pods]\n",
        encoding="utf-8",
    )
    catalog = load_catalog(path)
    assert catalog.tracked_hashtags == ("coffeetime",)
    assert catalog.tracked_queries == (
        "coffeetime",
        "keyword:oat_milk",
        "keyword:mokka_pods",
        "creator:trail.tales",
        "creator:mokkamia.official",
    )
    path.write_text("creators: [ok.one]\nbrands:\n  - name: A\n    creators: [bad..handle]\n", encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    assert "brands.yaml:4" in str(caught.value) and "not a TikTok username" in str(caught.value)


def _video(video_id: int, *, username: str, description: str, hashtags: list[str], when: int = NOON) -> dict:
    return {
        "id": video_id,
        "create_time": when,
        "username": username,
        "region_code": "DE",
        "video_description": description,
        "hashtag_names": hashtags,
        "view_count": 10,
        "like_count": 1,
        "comment_count": 0,
        "share_count": 0,
        "video_duration": 12,
    }


VIDEOS = [
    _video(1, username="Brand.Hopper", description="Morning with Oat milk and Mokka Mia", hashtags=["coffeetime"]),
    _video(2, username="someone", description="oat-milk latte art", hashtags=["latte"]),
    _video(3, username="someone", description="fresh goat milk at dawn", hashtags=["farm"]),
    _video(4, username="brand.hopper", description="a day late", hashtags=[], when=NOON + 86_400),
    _video(5, username="other", description="Café OAT MILK review", hashtags=["coffeetime"]),
]


def test_the_folder_source_finds_a_creators_and_a_keywords_videos_and_quarantines_only_theirs(tmp_path):
    broken = {**_video(6, username="brand.hopper", description="x", hashtags=[]), "view_count": -1}
    stranger = {**_video(7, username="stranger", description="x", hashtags=[]), "view_count": -1}
    lines = [json.dumps(v) for v in [*VIDEOS, broken, stranger]] + ['{"id": 8, "username": "brand.hopper", cut']
    (tmp_path / "videos.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    source = FolderSource(tmp_path)
    creator = source.videos("creator:brand.hopper", DAY)
    assert creator.rows["video_id"].to_list() == ["1"], "the handle in any case, on that day only"
    assert sorted(p.item for p in creator.problems) == ["videos.jsonl:6", "videos.jsonl:8"]
    keyword = source.videos("keyword:oat_milk", DAY)
    assert keyword.rows["video_id"].to_list() == ["1", "2", "5"], "whole words in a row, case and accents aside"
    assert keyword.problems == []
    found = partitions_in_folder(tmp_path, ("coffeetime", "keyword:oat_milk", "creator:brand.hopper"))
    next_day = DAY + dt.timedelta(days=1)
    assert found == [
        ("coffeetime", DAY),
        ("creator:brand.hopper", DAY),
        ("keyword:oat_milk", DAY),
        ("creator:brand.hopper", next_day),
    ]


def test_the_research_api_is_searched_by_username_and_by_keyword():
    with FakeResearchApi() as api:
        for video in VIDEOS:
            api.add_videos(video)
        client = ResearchApiClient(api.base_url, api.client_key, api.client_secret, sleep=lambda s: None)
        source = ResearchApiSource(client)
        creator = source.videos("creator:brand.hopper", DAY)
        keyword = source.videos("keyword:oat_milk", DAY)
        bodies = [r.json["query"]["and"][0] for r in api.requests_to(VIDEO_QUERY_PATH)]
    assert bodies == [
        {"field_name": "username", "operation": "EQ", "field_values": ["brand.hopper"]},
        {"field_name": "keyword", "operation": "EQ", "field_values": ["oat milk"]},
    ]
    assert creator.rows["video_id"].to_list() == ["1"]
    # The API's own keyword match is kept, though it differs from the folder's whole words: this API finds
    # "goat milk" and not "oat-milk". Dropping what it found would lose rows without a word.
    assert keyword.rows["video_id"].to_list() == ["1", "3", "5"]


def test_the_cli_adds_keywords_and_creators_and_refuses_unsafe_ones(instance, capsys):
    # Keys no other test uses: the session's instance is shared.
    assert cli(["hashtags", "add", "@Cli.Only.Hopper", "keyword:Cli Only Oat"]) == 0
    known = instance.get_dynamic_partitions(hashtag_partitions.name)
    assert {"creator:cli.only.hopper", "keyword:cli_only_oat"} <= set(known)
    assert "added 2 tracked query(ies): creator:cli.only.hopper, keyword:cli_only_oat" in capsys.readouterr().out
    assert cli(["hashtags", "add", "@cli.only.fine", "creator:../../etc"]) == 2
    err = capsys.readouterr().err
    assert "not a TikTok username" in err and "nothing was changed" in err
    assert "creator:cli.only.fine" not in instance.get_dynamic_partitions(hashtag_partitions.name)
    assert cli(["hashtags", "remove", "@cli.only.hopper", "keyword:cli only oat"]) == 0
    assert not {"creator:cli.only.hopper", "keyword:cli_only_oat"} & set(
        instance.get_dynamic_partitions(hashtag_partitions.name)
    )


def test_labels_name_the_kind():
    assert [parse_query(q).label for q in ("coffeetime", "keyword:oat_milk", "creator:a.b")] == [
        "#coffeetime",
        '"oat milk"',
        "@a.b",
    ]


@pytest.mark.slow
def test_a_creator_and_a_keyword_of_the_sample_are_partitions_the_marts_count_under_their_key(
    tmp_path, history_template, sample_corpus, monkeypatch
):
    """The planted brand switcher followed as a creator, and "full review" as a keyword, on the switcher's two
    days: each partition holds exactly the videos its query finds, brand_daily_metrics counts their mentions
    under the query's key, and the marts that count across queries (share_of_voice) do not count them twice."""
    truth = json.loads((sample_corpus / "ground_truth.json").read_text(encoding="utf-8"))
    [switcher] = truth["planted_switchers"]
    creator, keyword = normalize_query("@" + switcher["creator"]), normalize_query("keyword:Full Review")
    with copied_history(history_template, tmp_path / "history", sample_corpus, monkeypatch) as history:
        records = history._all()
        days = sorted({record_day(r) for r in records if str(r["id"]) in switcher["videos"]})
        assert len(days) == 2
        sov = "select * from marts.share_of_voice where day in (?, ?) order by all"
        share_before = history.warehouse.query(sov, days)
        history.instance.add_dynamic_partitions(HASHTAG_DIMENSION, [creator, keyword])
        job = history.defs.resolve_job_def("hashtag_day_job")
        for query, day in [(creator, days[0]), (creator, days[1]), (keyword, days[1])]:
            run = job.execute_in_process(
                instance=history.instance, partition_key=partition_key(query, day), raise_on_error=False
            )
            assert run.success, (query, day)
        # Only the marts asserted on (and mention_evidence, which brand_daily_metrics' tests reconcile it with)
        # and the dbt models they read: a whole build of the ten days costs a minute.
        wanted = AssetSelection.assets(
            *(AssetKey(["marts", m]) for m in ("brand_daily_metrics", "share_of_voice", "mention_evidence"))
        )
        dbt_models = [k for k in wanted.upstream().resolve(history.defs.resolve_asset_graph()) if len(k.path) == 2]
        history.dbt(days[0], days[1], asset_selection=dbt_models)
        stored = history.warehouse.query(
            "select hashtag, video_id from raw.videos where hashtag in (?, ?) order by all", [creator, keyword]
        )
        found = "full review"
        expected_keyword = sorted(
            str(r["id"]) for r in records if record_day(r) == days[1] and found in r["video_description"].casefold()
        )
        assert expected_keyword, "the sample has a 'full review' video on the switcher's second day"
        assert stored.filter(pl.col("hashtag") == creator)["video_id"].to_list() == sorted(switcher["videos"])
        assert stored.filter(pl.col("hashtag") == keyword)["video_id"].to_list() == expected_keyword

        # Under the creator's key: the same mentions its two videos have under the hashtag they carry.
        by_query = history.warehouse.query(
            "select day, brand, sum(mentions) as mentions from marts.brand_daily_metrics where hashtag = ? "
            "group by all having sum(mentions) > 0 order by all",
            [creator],
        )
        from_raw = history.warehouse.query(
            "select day, brand, count(*) as mentions from raw.brand_mentions where hashtag = ? and video_id in (?, ?) "
            "group by all order by all",
            [history.hashtag, *switcher["videos"]],
        )
        assert by_query.rows() == from_raw.rows()
        assert {b for _, b, _ in by_query.rows()} >= {switcher["from_brand"], switcher["to_brand"]}
        assert history.warehouse.query(sov, days).equals(share_before), "a video two queries find counts once"
