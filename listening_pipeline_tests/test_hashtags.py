"""A hashtag reaches a partition key, a path or SQL only in its normalised form; anything else is refused."""

import pytest
from dagster import SensorResult, SkipReason, build_sensor_context

from listening_pipeline.cli import main as cli
from listening_pipeline.hashtags import InvalidHashtag, normalize_hashtag
from listening_pipeline.partitions import hashtag_partitions

HOSTILE = [
    "x'; drop table videos;--",
    "../../etc",
    "a|b",
    "a,b",
    "[a]",
    "x" * 500,
    "",
    "   ",
    "#",
    "tag with space",
    "emoji🔥",
]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("#SummerDrinks", "summerdrinks"),
        ("CaféBrisa", "cafébrisa"),
        ("día_de_playa", "día_de_playa"),
        ("东京", "东京"),
        ("2026", "2026"),
    ],
)
def test_hashtags_are_normalised(raw, expected):
    assert normalize_hashtag(raw) == expected


@pytest.mark.parametrize("raw", HOSTILE)
def test_hostile_hashtags_are_refused_with_a_reason(raw):
    with pytest.raises(InvalidHashtag) as err:
        normalize_hashtag(raw)
    assert "hashtag" in str(err.value)


@pytest.mark.parametrize("raw", ["x'; drop table videos;--", "../../etc", "a|b", "x" * 500, ""])
def test_cli_refuses_hostile_hashtag_and_writes_nothing(raw, instance, capsys):
    before = instance.get_dynamic_partitions(hashtag_partitions.name)
    assert cli(["hashtags", "add", "goodtag_for_cli_test", raw]) == 2
    err = capsys.readouterr().err
    assert "error: hashtag" in err and "nothing was changed" in err
    assert instance.get_dynamic_partitions(hashtag_partitions.name) == before


def test_cli_adds_lists_and_removes_hashtags(instance, capsys):
    assert cli(["hashtags", "add", "#CliTag", "clitag"]) == 0
    assert "clitag" in instance.get_dynamic_partitions(hashtag_partitions.name)
    assert cli(["hashtags", "list"]) == 0
    assert "clitag" in capsys.readouterr().out.split()
    assert cli(["hashtags", "remove", "clitag"]) == 0
    assert "clitag" not in instance.get_dynamic_partitions(hashtag_partitions.name)


def _catalog(tmp_path, hashtags):
    path = tmp_path / "brands.yaml"
    tags = "\n".join(f"  - {h!r}" for h in hashtags)
    path.write_text(f"hashtags:\n{tags}\nbrands:\n  - name: Acme\n    competitor_group: g\n", encoding="utf-8")
    return path


def _evaluate_sensor(instance, catalog_path):
    from listening_pipeline.defs.catalog.automation import catalog_sensor
    from listening_pipeline.defs.resources import CatalogResource

    context = build_sensor_context(instance=instance, resources={"catalog": CatalogResource(path=str(catalog_path))})
    return catalog_sensor(context)


def test_sensor_refuses_a_catalog_with_a_hostile_hashtag_and_adds_nothing(instance, tmp_path):
    before = instance.get_dynamic_partitions(hashtag_partitions.name)
    result = _evaluate_sensor(instance, _catalog(tmp_path, ["sensorok", "x'; drop table videos;--"]))
    assert isinstance(result, SkipReason)
    assert "refused" in result.skip_message and "drop table" in result.skip_message
    assert instance.get_dynamic_partitions(hashtag_partitions.name) == before


def test_sensor_adds_catalog_hashtags_as_partitions(instance, tmp_path):
    result = _evaluate_sensor(instance, _catalog(tmp_path, ["#SensorTagOne", "sensortagtwo"]))
    assert isinstance(result, SensorResult)
    (request,) = result.dynamic_partitions_requests
    assert list(request.partition_keys) == ["sensortagone", "sensortagtwo"]
    assert [r.job_name for r in result.run_requests] == ["catalog_job"]
