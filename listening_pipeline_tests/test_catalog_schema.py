"""A user's brands.yaml is checked against one declared schema: by the pipeline when it reads the file, and by
the editor while it is typed. Mistakes name the file, the line and the field; the published JSON Schema is the
model's own, and the docs list every field it declares."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from listening_pipeline.catalog import BUNDLED_CATALOG, CatalogError, load_catalog
from listening_pipeline.catalog_schema import (
    BrandEntry,
    CampaignEntry,
    CampaignTarget,
    CatalogFile,
    json_schema,
    json_schema_text,
)
from listening_pipeline.settings import PROJECT_ROOT

SCHEMA_FILE = PROJECT_ROOT / "docs" / "brands.schema.json"
REGENERATE = ".venv/bin/python -m listening_pipeline.catalog_schema > docs/brands.schema.json"

# (what the user wrote, the line the error must name, the field, what the message must say)
MISTAKES = [
    pytest.param(
        "brands:\n  - name: Fizzly\n    competitor_group: soft_drinks\n    aliases: Fizzly Soda\n",
        4,
        "'aliases'",
        "must be a list, not str 'Fizzly Soda' (write [Fizzly Soda])",
        id="string-where-a-list-belongs",
    ),
    pytest.param(
        "brands:\n  - name: Fizzly\n    competitor-group: soft_drinks\n",
        3,
        "'competitor-group'",
        "unknown key 'competitor-group' in brand 'Fizzly'",
        id="misspelt-competitor-group",
    ),
    pytest.param(
        "hashtag: [summerdrinks]\nbrands:\n  - name: Fizzly\n",
        1,
        "'hashtag'",
        "unknown key 'hashtag' at the top level (allowed: hashtags, keywords, creators, languages, brands, campaigns); "
        "did you mean 'hashtags'?",
        id="misspelt-top-level-hashtags",
    ),
    pytest.param(
        "brands:\n  - name: Fizzly\n    hashtag: [fizzlysummer]\n",
        3,
        "'hashtag'",
        "did you mean 'hashtags'?",
        id="misspelt-brand-hashtags",
    ),
    pytest.param(
        "brands:\n  - name: Fizzly\n  - name: 1664\n    aliases: [Sixteen]\n",
        3,
        "'name'",
        'must be text, not int 1664 (write it in quotes: "1664")',
        id="number-as-a-name",
    ),
    pytest.param(
        "brands:\n  - name: Fizzly\n    aliases:\n      - Fizzly Soda\n      - 7\n",
        5,
        "'aliases'",
        "brand 'Fizzly': 'aliases' must list names, not int 7",
        id="number-as-an-alias",
    ),
    pytest.param(
        "languages: [en, english]\nbrands:\n  - name: Fizzly\n",
        1,
        "'languages'",
        "must list ISO 639-1 codes such as [en, es], not 'english'",
        id="not-a-language-code",
    ),
    *[
        pytest.param(
            "brands:\n  - name: Mokka Mia\ncampaigns:\n  - name: Autumn\n    brand: Mokka Mia\n"
            "    hashtag: coffeetime\n    start: 2026-10-25\n    end: 2026-11-07\n" + text,
            line,
            field,
            needle,
            id=f"campaign-{name}",
        )
        for name, text, line, field, needle in [
            ("target-below-one", "    target: {metric: videos, value: -3}\n", 9, "'value'", "above 0, not -3"),
            (
                "unknown-target-metric",
                "    target:\n      metric: likes\n      value: 10\n",
                10,
                "'metric'",
                "must be one of 'videos', 'views', 'creators' or 'mentions', not 'likes'",
            ),
            ("target-not-a-mapping", "    target: 300\n", 9, "'target'", "must be a mapping such as"),
            ("misspelt-target", "    taget: {metric: videos, value: 3}\n", 9, "'taget'", "did you mean 'target'?"),
        ]
    ],
]

# Mistakes only the pipeline sees (the JSON Schema cannot say them): a day that is no date, an end
# before the start, a hashtag a partition key cannot hold, a brand the catalog does not list, a name twice.
CROSS_CHECKED = [
    pytest.param(
        "brands:\n  - name: Mokka Mia\ncampaigns:\n  - name: Autumn\n    brand: Mokka Mia\n    hashtag: coffeetime\n"
        "    start: 2026-10-25\n    end: 2026-10-07\n",
        8,
        "'end'",
        "campaign 'Autumn': 'end': the campaign ends on 2026-10-07 before it starts on 2026-10-25",
        id="campaign-ends-before-it-starts",
    ),
    pytest.param(
        "brands:\n  - name: Mokka Mia\ncampaigns:\n  - name: Autumn\n    brand: Mokka Mia\n    hashtag: coffee|time\n"
        "    start: 2026-10-25\n    end: 2026-11-07\n",
        6,
        "'hashtag'",
        "contains characters other than letters, digits and '_': '|'",
        id="campaign-bad-hashtag",
    ),
    pytest.param(
        "brands:\n  - name: Mokka Mia\ncampaigns:\n  - name: Autumn\n    brand: Mokka Mia\n    hashtag: coffeetime\n"
        "    start: 25.10.2026\n    end: 2026-11-07\n",
        7,
        "'start'",
        "must be a day written YYYY-MM-DD, not '25.10.2026'",
        id="campaign-not-a-day",
    ),
    pytest.param(
        "brands:\n  - name: Mokka Mia\ncampaigns:\n  - name: Autumn\n    brand: Moka Mia\n    hashtag: coffeetime\n"
        "    start: 2026-10-25\n    end: 2026-11-07\n",
        5,
        "'brand'",
        "campaign 'Autumn': 'brand' 'Moka Mia' is not in the catalog; did you mean 'Mokka Mia'?",
        id="campaign-unknown-brand",
    ),
    pytest.param(
        "brands:\n  - name: Mokka Mia\ncampaigns:\n  - name: Autumn\n    brand: Mokka Mia\n    hashtag: a\n"
        "    start: 2026-10-25\n    end: 2026-11-07\n  - name: Autumn\n    brand: Mokka Mia\n    hashtag: b\n"
        "    start: 2026-10-25\n    end: 2026-11-07\n",
        9,
        "'Autumn'",
        "campaign 'Autumn' is listed twice (first on line 4)",
        id="campaign-listed-twice",
    ),
]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "brands.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "line", "field", "needle"), MISTAKES + CROSS_CHECKED)
def test_a_catalog_mistake_fails_naming_the_file_the_line_and_the_field(tmp_path, text, line, field, needle):
    path = _write(tmp_path, text)
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    (problem,) = str(caught.value).splitlines()[1:]  # one mistake, one line
    assert problem.strip().startswith(f"{path}:{line}: "), problem
    assert field in problem and needle in problem, problem


def test_every_mistake_in_a_file_is_reported_at_once(tmp_path):
    path = _write(
        tmp_path,
        "brands:\n  - name: Fizzly\n    aliases: Fizzly Soda\n    competitor-group: soda\n  - name: 1664\n",
    )
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    lines = [line.strip() for line in str(caught.value).splitlines()[1:]]
    assert [line.split(": ", 1)[0] for line in lines] == [f"{path}:3", f"{path}:4", f"{path}:5"]


def test_a_valid_catalog_still_reads_as_before(tmp_path):
    path = _write(
        tmp_path,
        "hashtags: ['#SummerDrinks', summerdrinks]\nlanguages: [EN, es]\nbrands:\n"
        "  - name: ' Fizzly '\n    aliases: [Fizzly Soda, Fizzly]\n    hashtags: [fizzlysummer]\n"
        "  - name: Bubblo\n    aliases:\n    competitor_group: soft_drinks\n",
    )
    catalog = load_catalog(path)
    fizzly, bubblo = catalog.brands
    assert (fizzly.name, fizzly.competitor_group, fizzly.aliases) == ("Fizzly", "Fizzly", ("Fizzly", "Fizzly Soda"))
    assert (bubblo.aliases, bubblo.competitor_group, bubblo.logos) == (("Bubblo",), "soft_drinks", ())
    assert catalog.tracked_hashtags == ("summerdrinks", "fizzlysummer")
    assert catalog.languages == ("en", "es")


def test_the_published_json_schema_is_the_models_own():
    committed = SCHEMA_FILE.read_text(encoding="utf-8") if SCHEMA_FILE.is_file() else ""
    assert committed == json_schema_text(), f"docs/brands.schema.json is stale; regenerate it with: {REGENERATE}"


class _EditorLoader(yaml.SafeLoader):
    """YAML as an editor's language server reads it (YAML 1.2): 2026-10-25 is text, not a date."""


_EditorLoader.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def test_an_editor_using_the_schema_flags_the_same_mistakes_and_accepts_the_bundled_catalog():
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    bundled = yaml.load(BUNDLED_CATALOG.read_text(encoding="utf-8"), Loader=_EditorLoader)
    assert not list(validator.iter_errors(bundled))
    for mistake in MISTAKES:
        text = str(mistake.values[0])
        assert list(validator.iter_errors(yaml.load(text, Loader=_EditorLoader))), f"the schema accepts {text!r}"


def test_the_bundled_catalog_and_the_recipe_point_editors_at_the_schema():
    first_line = BUNDLED_CATALOG.read_text(encoding="utf-8").splitlines()[0]
    match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first_line)
    assert match, "listening_pipeline/data/brands.yaml must start with the yaml-language-server schema line"
    assert (BUNDLED_CATALOG.parent / match.group(1)).resolve() == SCHEMA_FILE
    assert "# yaml-language-server: $schema=" in (PROJECT_ROOT / "docs" / "add-a-brand.md").read_text(encoding="utf-8")


def test_every_field_is_described_in_the_schema_and_in_the_recipe():
    recipe = (PROJECT_ROOT / "docs" / "add-a-brand.md").read_text(encoding="utf-8")
    for model in (CatalogFile, BrandEntry, CampaignEntry, CampaignTarget):
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no description"
            assert f"| `{name}`" in recipe, f"docs/add-a-brand.md does not describe `{name}`"
    assert json_schema()["additionalProperties"] is False


def test_a_missing_logo_file_names_the_line_of_its_list_item(tmp_path):
    (tmp_path / "fizzly.png").write_bytes(b"\x89PNG")
    path = _write(tmp_path, "brands:\n  - name: Fizzly\n    logos:\n      - fizzly.png\n      - fizzly_can.png\n")
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    (problem,) = str(caught.value).splitlines()[1:]
    assert problem.strip() == f"{path}:5: brand 'Fizzly': 'logos': file {tmp_path / 'fizzly_can.png'} not found"


def test_a_campaign_is_read_and_its_hashtag_is_collected(tmp_path):
    path = _write(
        tmp_path,
        "hashtags: [coffeetime]\nbrands:\n  - name: Mokka Mia\ncampaigns:\n  - name: ' Autumn '\n"
        "    brand: Mokka Mia\n    hashtag: '#MokkaMornings'\n    start: 2026-10-25\n    end: '2026-11-07'\n"
        "    target: {metric: creators, value: 12}\n  - name: Open\n    brand: Mokka Mia\n    hashtag: coffeetime\n"
        "    start: 2026-11-01\n    end: 2026-11-01\n",
    )
    catalog = load_catalog(path)
    autumn, open_ended = catalog.campaigns
    assert (autumn.name, autumn.hashtag, autumn.start.isoformat(), autumn.end.isoformat()) == (
        "Autumn",
        "mokkamornings",
        "2026-10-25",
        "2026-11-07",
    )
    assert (autumn.target_metric, autumn.target_value) == ("creators", 12)
    assert (open_ended.target_metric, open_ended.target_value) == (None, None)
    assert catalog.tracked_hashtags == ("coffeetime", "mokkamornings")  # collected, each once
    assert [c.name for c in load_catalog().campaigns] == ["Mokka Mia Autumn Mornings"]
