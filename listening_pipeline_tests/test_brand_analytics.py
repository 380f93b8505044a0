"""The alert story on the sample corpus: two quiet weeks of coffee talk, then a complaint wave
about Mokka Mia. The pipeline raises exactly one alert for it, and the team's webhook gets it
exactly once, also after the days are run again."""

import html
import json
import re
from pathlib import Path

import polars as pl
import pytest
from dagster import build_sensor_context

from listening_pipeline_tests.history import copied_history
from listening_pipeline_tests.test_alerts import Webhook

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def truth(sample_corpus):
    return json.loads((sample_corpus / "ground_truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def history(tmp_path_factory, history_template, sample_corpus):
    """A copy of the session's built history days, for this module: the rerun test runs days again."""
    root = tmp_path_factory.mktemp("brand-analytics") / "history"
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        copied_history(history_template, root, sample_corpus, monkeypatch) as copy,
    ):
        yield copy


@pytest.fixture(scope="module")
def warehouse(history):
    return history.warehouse


@pytest.fixture(scope="module")
def warehouse_resource(history):
    """The resource the code location builds for the copy (``history`` points the settings at it)."""
    from listening_pipeline.defs.resources import warehouse_resource as build
    from listening_pipeline.settings import Settings

    return build(Settings.from_env())


def _alerts(warehouse) -> pl.DataFrame:
    return warehouse.query("select * from marts.brand_alerts order by day, brand")


def _complaints(warehouse, brand: str, day) -> list[str]:
    rows = warehouse.query(
        "select distinct quote from marts.mention_evidence"
        " where brand = ? and day = ? and sentiment_label = 'negative'",
        [brand, day],
    )
    return [" ".join(q.split()) for q in rows["quote"] if q]


def _sensor_tick(webhook: Webhook, warehouse_resource) -> None:
    from listening_pipeline.defs.alerts.sensors import brand_alert_sensor
    from listening_pipeline.defs.resources import AlertWebhookResource

    hook = AlertWebhookResource(url=webhook.url, backoff_s=0.01, max_age_days=0)
    with build_sensor_context(resources={"alert_webhook": hook, "warehouse": warehouse_resource}) as context:
        brand_alert_sensor(context)


def test_the_planted_wave_is_the_one_alert(history, truth, warehouse):
    [planted] = truth["planted_alerts"]
    alerts = _alerts(warehouse)
    assert alerts.select("brand", pl.col("day").cast(pl.String)).rows() == [(planted["brand"], planted["day"])]
    alert = alerts.row(0, named=True)
    assert alert["reasons"].split(",") == planted["reasons"]
    assert alert["mentions"] > 2 * alert["baseline_mentions"] and alert["baseline_days"] >= 7
    top = alert["top_videos"].split(",")
    assert set(top[: len(planted["videos"])]) == set(planted["videos"]), "the wave's videos drive the alert"


def test_shares_of_voice_sum_to_one_and_sentiment_stays_in_range(history, warehouse):
    sums = warehouse.query(
        "select day, competitor_group, sum(share_of_voice) as total "
        "from marts.share_of_voice group by day, competitor_group"
    )
    assert sums.height >= len(history.days) and ((sums["total"] - 1.0).abs() < 1e-9).all()
    net = warehouse.query("select min(net_sentiment) as low, max(net_sentiment) as high from marts.brand_daily_metrics")
    assert -1.0 <= net["low"][0] <= net["high"][0] <= 1.0


def test_the_alert_reaches_the_webhook_exactly_once_also_after_a_rerun(history, warehouse, warehouse_resource):
    webhook = Webhook()
    try:
        _sensor_tick(webhook, warehouse_resource)
        _sensor_tick(webhook, warehouse_resource)
        assert len(webhook.posts) == 1
        message = webhook.posts[0]["json"]
        assert "Mokka Mia" in message["text"]
        # The person paged reads the complaints themselves, with their links.
        blocks = json.dumps(message["blocks"], ensure_ascii=False)
        [alert] = _alerts(warehouse).iter_rows(named=True)
        shown = [" ".join(e["quote"].split()) for e in json.loads(alert["top_evidence"])]
        assert len(shown) == 5 and set(shown) <= set(_complaints(warehouse, alert["brand"], alert["day"]))
        assert all(q.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in blocks for q in shown)
        assert blocks.count("https://www.tiktok.com/@") >= 5
        # ...where in the filmed complaint they were said and shown, and the frame, which exists on disk.
        assert "speech at 0:00" in blocks and re.search(r"caption at 0:0\d-0:0\d", blocks)
        frames = re.findall(r"frame: `([^`]+)`", blocks)
        assert frames and all(Path(f).is_file() for f in frames)
        # The same days collected and built again: same alert id, nothing new to send.
        for day in history.days[-2:]:
            assert history.run("hashtag_day_job", day)
        history.dbt(history.days[-2], history.days[-1])
        assert _alerts(warehouse).height == 1
        _sensor_tick(webhook, warehouse_resource)
        assert len(webhook.posts) == 1
        delivered = warehouse.query("select * from raw.alert_deliveries")
        assert delivered.height == 1 and delivered["status"][0] == "delivered"
    finally:
        webhook.httpd.shutdown()


def test_history_brand_metrics_equal_the_ground_truth(history, truth, warehouse):
    """Every count per brand, day and origin is what the generator wrote, showed and said: text exactly,
    the filmed complaint's caption and logo too; speech never more than was said."""
    from listening_pipeline.lib.evaluation import MENTION_ORIGINS, expected_origin_counts, measured_origin_counts

    wanted = {(history.hashtag, d.isoformat()) for d in history.days}
    expected = expected_origin_counts(truth["mention_counts"], wanted)
    actual = measured_origin_counts(warehouse.query("select * from marts.brand_daily_metrics"), wanted)
    assert len(expected) >= len(wanted) and set(actual) == set(expected)
    exact = [o for o in MENTION_ORIGINS if o != "speech"]
    assert {k: [v[o] for o in exact] for k, v in actual.items()} == {
        k: [v[o] for o in exact] for k, v in expected.items()
    }
    assert all(actual[k]["speech"] <= expected[k]["speech"] for k in expected)
    assert sum(v["logo"] for v in actual.values()) == 1 and sum(v["caption"] for v in actual.values()) == 2


def test_the_alert_evidence_opens_with_the_filmed_complaint_at_its_second_and_frame(history, truth, warehouse):
    """The alert row's proof: the viral clip's complaints first, each with its time in the video, and
    the caption's frame with the caption boxed, a JPEG that exists."""
    from PIL import Image

    [filmed] = truth["history"]["filmed"]
    [alert] = _alerts(warehouse).iter_rows(named=True)
    evidence = json.loads(alert["top_evidence"])
    clip = [e for e in evidence if e["video_id"] == filmed]
    assert clip and evidence[: len(clip)] == clip, "the most viewed video's complaints come first"
    assert all(e["sentiment_label"] == "negative" for e in evidence)
    # Within it, what happened in the video first, in order: the spoken complaint, then the caption.
    timed = [e for e in clip if e["start_s"] is not None]
    assert [e["origin"] for e in timed] == ["speech", "caption"] and clip[:2] == timed
    assert timed[0]["start_s"] < timed[1]["start_s"] <= timed[1]["end_s"]
    framed = [e for e in clip if e["thumbnail_uri"]]
    assert [e["origin"] for e in framed] == ["caption"] and "awful" in framed[0]["quote"]
    for item in framed:
        with Image.open(Path(item["thumbnail_uri"])) as image:
            assert image.format == "JPEG"


def test_the_ui_and_the_report_show_the_story(history, tmp_path, warehouse):
    from dagster import AssetKey

    from listening_pipeline.lib.reports import write_report

    event = history.instance.get_latest_materialization_event(AssetKey(["marts", "brand_daily_metrics"]))
    metadata = event.asset_materialization.metadata
    rows_in_window, rows_total = metadata["dagster/partition_row_count"].value, metadata["dagster/row_count"].value
    assert rows_in_window > 0 and rows_total >= rows_in_window
    assert "| brand |" in metadata["preview"].value and "data:image/png;base64," in metadata["chart"].value
    # ...and the mentions behind its numbers, the wave's filmed complaint first (negative, most viewed).
    evidence = metadata["evidence"].value.splitlines()
    assert evidence[0] == "| brand | day | origin | video_id | at | quote | sentiment_label |"
    assert "| Mokka Mia | 2026-10-31 | speech |" in evidence[2] and "| negative |" in evidence[2]
    report = write_report(warehouse, tmp_path)
    assert (tmp_path / "brand_trend.png").read_bytes()[:4] == b"\x89PNG"
    text = report.read_text(encoding="utf-8")
    assert "marts.brand_alerts" in text and "Mokka Mia" in text


def test_the_alert_has_its_evidence_page_written_by_the_run_and_by_the_cli(history, warehouse, tmp_path, capsys):
    """The run's evidence_reports asset wrote the alert's page; `report --brand --day` writes the same one."""
    from dagster import AssetKey

    from listening_pipeline.cli import main

    [alert] = _alerts(warehouse).iter_rows(named=True)
    event = history.instance.get_latest_materialization_event(AssetKey("evidence_reports"))
    metadata = event.asset_materialization.metadata
    page = Path(metadata["report"].value)
    assert page.is_file() and metadata["reports"].value >= 1 and "Mokka Mia" in metadata["preview"].value
    text = page.read_text(encoding="utf-8")
    quotes = _complaints(warehouse, alert["brand"], alert["day"])
    assert len(quotes) >= 5 and all(html.escape(q) in text for q in quotes)
    assert "<strong>Alert</strong>" in text and "marts.brand_daily_metrics" in text
    from listening_pipeline.lib.evidence_report import MAX_MENTIONS

    assert text.count('class="card"') == min(alert["mentions"], MAX_MENTIONS)  # each mention once
    # The filmed complaint's frames are inside the page: its captions and its logo, boxed.
    framed = warehouse.query(
        "select count(distinct mention_id) as n from marts.mention_evidence"
        " where brand = ? and day = ? and thumbnail_uri is not null",
        [alert["brand"], alert["day"]],
    ).item()
    assert framed == 3 and text.count('src="data:image/jpeg;base64,') == framed

    assert main(["report", "--brand", alert["brand"], "--day", str(alert["day"]), "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    again = tmp_path / page.name
    assert str(again) in printed and again.read_text(encoding="utf-8") == text

    # What `make demo` ends with: the brand report, and the alert's evidence page with its path printed.
    assert main(["report", "--out", str(tmp_path / "demo")]) == 0
    printed = capsys.readouterr().out
    demo_page = tmp_path / "demo" / page.name
    assert f"evidence report for the {alert['brand']} alert on {alert['day']}: {demo_page}" in printed
    assert demo_page.read_text(encoding="utf-8") == text


def test_returns_follow_the_complaint_wave_three_days_later(history, truth, warehouse):
    """social_vs_first_party on the history and the sample first-party seed, whose returns echo each day's
    complaints 3 days later: lag 3 is the best lag of the planted brand, with the correlation the ground
    truth gives."""
    import datetime as dt
    import statistics
    from collections import Counter

    from listening_pipeline.lib.sample_data.first_party import PLANTED_LAG_DAYS, SEED_PATH, negative_mentions

    brand = truth["planted_alerts"][0]["brand"]
    seed = pl.read_csv(SEED_PATH, try_parse_dates=True).filter(pl.col("brand") == brand)
    metric = {
        m: dict(zip(rows["day"], rows["value"])) for (m,), rows in seed.partition_by("metric", as_dict=True).items()
    }
    lags = range(15)

    def pearson(social: Counter, name: str, lag: int) -> float:
        later = [metric[name][day + dt.timedelta(days=lag)] for day in history.days]
        return statistics.correlation([float(social[day.isoformat()]) for day in history.days], later)

    rows = warehouse.query(
        "select * from marts.social_vs_first_party where brand = ? and region = 'ALL'", [brand]
    ).iter_rows(named=True)
    mart = {(r["metric"], r["social_series"], r["lag_days"]): r for r in rows}
    assert set(mart) == {(m, s, lag) for m in metric for s in ("mentions", "negative_mentions") for lag in lags}
    assert {r["day_pairs"] for r in mart.values()} == {len(history.days)}  # every day, 0 mentions too

    # Mention volume is measured exactly (test_history_brand_metrics_equal_the_ground_truth): every lag's
    # correlation is the ground truth's, and the best one is the planted lag.
    mentions: Counter = Counter()
    for row in truth["mention_counts"]:
        if row["brand"] == brand:
            mentions[row["day"]] += row["count"]
    for lag in lags:
        assert mart[("returns", "mentions", lag)]["correlation"] == pytest.approx(
            pearson(mentions, "returns", lag), abs=1e-9
        )
    assert [lag for lag in lags if mart[("returns", "mentions", lag)]["is_best_lag"]] == [PLANTED_LAG_DAYS]

    # Complaints as written lead returns by the planted lag; as the sentiment model measured them (the
    # negative mentions in mention_evidence, each once) the mart finds the same lag, at their correlation.
    written = Counter({day: n for (b, day), n in negative_mentions(truth).items() if b == brand})
    assert max(lags, key=lambda lag: pearson(written, "returns", lag)) == PLANTED_LAG_DAYS
    measured = Counter(
        {
            str(r["day"]): r["n"]
            for r in warehouse.query(
                "select day, count(distinct mention_id) as n from marts.mention_evidence"
                " where brand = ? and sentiment_label = 'negative' group by day",
                [brand],
            ).iter_rows(named=True)
        }
    )
    for lag in lags:
        assert mart[("returns", "negative_mentions", lag)]["correlation"] == pytest.approx(
            pearson(measured, "returns", lag), abs=1e-9
        )
    assert [lag for lag in lags if mart[("returns", "negative_mentions", lag)]["is_best_lag"]] == [PLANTED_LAG_DAYS]
    assert mart[("returns", "negative_mentions", PLANTED_LAG_DAYS)]["correlation"] > 0.99
    # Orders were planted with no link to the talk: nothing close to that (over 14 day pairs and 30
    # correlations, noise alone reaches about 0.6).
    assert max(abs(r["correlation"]) for (m, *_), r in mart.items() if m == "orders") < 0.75


def _switches_from_raw(warehouse) -> set[tuple]:
    """Brand switchers computed in Python from the raw tables: each creator's daily stance per brand
    (net sentiment of their own mentions, comments left out), then A positive before B, never after."""
    mentions = warehouse.query(
        "select distinct m.day, m.mention_id, m.brand, m.sentiment_label, v.creator, b.competitor_group"
        " from raw.brand_mentions m join raw.videos v on m.day = v.day and m.video_id = v.video_id"
        " join raw.brands b on m.brand = b.brand where m.origin != 'comment' and v.creator is not null"
    )
    stance: dict[tuple, list[int]] = {}
    for row in mentions.iter_rows(named=True):
        pos_neg = stance.setdefault((row["creator"], row["competitor_group"], row["brand"], row["day"]), [0, 0, 0])
        pos_neg[0] += row["sentiment_label"] == "positive"
        pos_neg[1] += row["sentiment_label"] == "negative"
        pos_neg[2] += row["sentiment_label"] is not None
    positive: dict[tuple, list] = {}
    for (creator, group, brand, day), (pos, neg, labelled) in stance.items():
        if labelled and pos > neg:
            positive.setdefault((creator, group, brand), []).append(day)
    return {
        (a[0], a[2], b[2], max(days_a).isoformat(), min(days_b).isoformat())
        for a, days_a in positive.items()
        for b, days_b in positive.items()
        if a[:2] == b[:2] and a[2] != b[2] and max(days_a) < min(days_b)
    }


def test_the_planted_brand_switcher_is_found_with_its_days_and_profile(history, truth, warehouse):
    """The creator the generator made positive on one coffee brand early and on its competitor late is a
    switcher with exactly those days; every other row is what the raw mentions say; its profile is joined."""
    from listening_pipeline.lib.insights.creators import summary_line
    from listening_pipeline.lib.sample_data.corpus import creator_record

    [planted] = truth["planted_switchers"]
    switches = warehouse.query(
        "select creator, from_brand, to_brand, cast(last_positive_day_on_from as varchar) as last_from,"
        " cast(first_positive_day_on_to as varchar) as first_to, follower_count from marts.creator_brand_switches"
    )
    mine = switches.filter(pl.col("creator") == planted["creator"])
    assert mine.drop("follower_count").rows() == [
        (
            planted["creator"],
            planted["from_brand"],
            planted["to_brand"],
            planted["last_positive_day_on_from"],
            planted["first_positive_day_on_to"],
        )
    ]
    profile = creator_record(planted["creator"])
    assert mine["follower_count"][0] == profile["follower_count"]
    assert set(switches.drop("follower_count").rows()) == _switches_from_raw(warehouse)
    days = warehouse.query(
        "select cast(day as varchar) as day, videos, brands_mentioned, follower_count, display_name"
        " from marts.creator_profiles where creator = ? order by day",
        [planted["creator"]],
    )
    assert days.rows() == [
        (planted["last_positive_day_on_from"], 1, planted["from_brand"], profile["follower_count"], "Brand Hopper"),
        (planted["first_positive_day_on_to"], 1, planted["to_brand"], profile["follower_count"], "Brand Hopper"),
    ]
    assert planted["creator"] in summary_line(warehouse)


def test_the_sample_campaign_is_what_the_generator_put_under_its_hashtag(history, truth, warehouse):
    """The catalog's campaign (Mokka Mia on #coffeetime, target 45 videos over 14 days) over the history:
    a row for every day from its start to the last collected day, each day's videos, creators, views and
    engagement those of the export's videos the ground truth lists, the running total against the target
    (behind until the wave day's four extra videos put it on track), and the wave day the most negative."""
    import datetime as dt

    [planted] = truth["campaigns"]
    start, end = dt.date.fromisoformat(planted["start_day"]), dt.date.fromisoformat(planted["end_day"])
    target = planted["target"]
    assert target["metric"] == "videos" and start in history.days and end > history.days[-1]
    records = {str(r["id"]): r for r in history._all()}
    mart = warehouse.query(
        "select * from marts.campaign_performance where campaign = ? order by day", [planted["name"]]
    )
    assert mart["day"].to_list() == [d for d in history.days if d >= start]  # to the last collected day
    brand_days = warehouse.query(
        "select day, mentions, positive_mentions, neutral_mentions, negative_mentions"
        " from marts.brand_daily_metrics where brand = ? and hashtag = ?",
        [planted["brand"], planted["hashtag"]],
    )
    campaign_days, running, creators, pace = (end - start).days + 1, 0, set(), []
    for number, row in enumerate(mart.iter_rows(named=True), start=1):
        videos = [records[i] for i in planted["days"].get(row["day"].isoformat(), [])]
        running += len(videos)
        creators |= {v["username"] for v in videos}
        assert (row["videos"], row["creators"], row["views"], row["engagement"]) == (
            len(videos),
            len({v["username"] for v in videos}),
            sum(v["view_count"] for v in videos),
            sum(v["like_count"] + v["comment_count"] + v["share_count"] for v in videos),
        ), row["day"]
        assert row["views_gained"] == 0  # the sample observes each video once: no growth to see
        assert (row["cumulative_videos"], row["cumulative_creators"]) == (running, len(creators))
        assert (row["target_cumulative"], row["target_value"]) == (running, target["value"])
        assert row["progress"] == pytest.approx(running / target["value"])
        assert row["on_track"] == (running * campaign_days >= number * target["value"])
        pace.append(row["on_track"])
        # Every campaign video is a #coffeetime video here: the brand's mentions in them are its day's mentions
        # on the hashtag (brand_daily_metrics, equal to the ground truth above), all of its mentions that day.
        [day_row] = brand_days.filter(pl.col("day") == row["day"]).iter_rows(named=True)
        assert (row["brand_mentions"], row["positive_mentions"], row["neutral_mentions"]) == (
            day_row["mentions"],
            day_row["positive_mentions"],
            day_row["neutral_mentions"],
        )
        assert row["negative_mentions"] == day_row["negative_mentions"]
        assert row["all_brand_mentions"] == row["brand_mentions"] and row["share_of_brand_mentions"] == 1.0
    wave = dt.date.fromisoformat(truth["planted_alerts"][0]["day"])
    assert pace[-1] and not any(pace[:-1]), "behind its pace until the wave day's extra videos"
    assert mart.sort("net_sentiment")["day"][0] == wave and mart["net_sentiment"][-1] < 0


def test_audience_reaction_shows_the_planted_thread_that_disagrees_with_its_video(truth, warehouse):
    """A positive video whose comments are all negative: the brand-day disagrees 100 %, with the
    thread's hand-declared purchase intents and complaints, and its most-liked complaint quoted."""
    [planted] = truth["planted_reactions"]
    day, thread = planted["day"], {c["id"]: c for c in planted["comments"]}
    videos = [v for v in truth["videos"] if v["day"] == day]
    assert all(v["kind"] == "metadata_only" for v in videos)  # own sentiment: the description's
    assert [v["id"] for v in videos if v["comments"]] == [planted["video"]]  # the day's comments: the thread
    [video] = [v for v in videos if v["id"] == planted["video"]]
    labels = [c["sentiment"] for c in video["comments"]]
    complaints = [c for c in video["comments"] if thread[c["id"]]["complaint"]]
    expected = []
    for brand in sorted({b for origin, found in video["mentions"].items() if origin != "comment" for b in found}):
        own = video["description"]["sentiment"] if brand in video["description"]["brands"] else "neutral"
        agree = sum(own != "neutral" and label == own for label in labels)
        disagree = sum(own != "neutral" and label not in ("neutral", own) for label in labels)
        expected.append(
            {
                "brand": brand,
                "commented_videos": 1,
                "total_comments": len(labels),
                "negative_comments": labels.count("negative"),
                "agreeing_comments": agree,
                "disagreeing_comments": disagree,
                "disagree_share": disagree / len(labels),
                "purchase_intent_comments": sum(c["purchase_intent"] for c in planted["comments"]),
                "complaint_comments": len(complaints),
                "top_complaint": max(complaints, key=lambda c: thread[c["id"]]["like_count"])["text"],
            }
        )
    rows = warehouse.query(f"select * from marts.audience_reaction where day = '{day}' order by brand")
    assert rows.select(list(expected[0])).to_dicts() == expected
    [row] = [r for r in expected if r["brand"] == planted["brand"]]
    assert (row["disagree_share"], row["total_comments"], row["complaint_comments"]) == (1.0, 6, 4)
    units = {f"{video['id']}:comment:{i}": i for i in thread}
    flags = warehouse.query("select unit_id, purchase_intent, complaint from raw.sentiment")
    flags = flags.filter(pl.col("unit_id").is_in(list(units))).unique("unit_id")
    assert {units[r["unit_id"]]: (r["purchase_intent"], r["complaint"]) for r in flags.to_dicts()} == {
        i: (c["purchase_intent"], c["complaint"]) for i, c in thread.items()
    }


def test_the_demo_line_names_the_disagreeing_thread(truth, warehouse):
    from listening_pipeline.lib.insights.audience import summary_line

    [planted] = truth["planted_reactions"]
    assert summary_line(warehouse) == (
        f"audience_reaction: {planted['brand']} on {planted['day']}: 100% of 6 comments disagree with the video; "
        "2 purchase intent, 4 complaints"
    )
