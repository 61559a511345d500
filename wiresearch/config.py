"""wiresearch.toml: the index and the sources the nightly job keeps it in line with.

    index = "index"            # relative paths are relative to this file
    engine = "whoosh"          # optional; used when the index is first created
    [[sources]]
    path = "data"              # a folder, a file or a glob ("archive/2024-*/*.xml")
    format = "reuters-sgml"    # optional: skip detection
    source = "Reuters"         # optional: publisher name for every article
    include = ["*.sgm"]        # optional name patterns
    exclude = ["*.tmp"]
    fields = { headline = "title", date = "published_at" }   # optional, JSON exports
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError, UsageError
from .ingest import SourceSpec

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

CONFIG_NAME = "wiresearch.toml"
SOURCE_KEYS = {"path", "format", "source", "include", "exclude", "fields"}
TOP_KEYS = {"index", "engine", "sources"}


@dataclass(frozen=True)
class Config:
    file: Path
    index: Path
    engine: str | None
    sources: tuple[SourceSpec, ...]


def find_config(explicit: str | None = None) -> Path:
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"no configuration file {explicit}")
        return path
    from_env = os.environ.get("WIRESEARCH_CONFIG")
    if from_env:
        path = Path(from_env)
        if not path.is_file():
            raise ConfigError(f"WIRESEARCH_CONFIG names {from_env}, which does not exist")
        return path
    path = Path(CONFIG_NAME)
    if not path.is_file():
        raise ConfigError(f"no {CONFIG_NAME} in {Path.cwd()}: pass --config FILE or set "
                          "WIRESEARCH_CONFIG (README, 'The nightly job', has a sample)")
    return path


def _patterns(value, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise ConfigError(f"{where} must be a pattern or a list of patterns")


def load_config(explicit: str | None = None) -> Config:
    path = find_config(explicit)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read {path}: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise ConfigError(f"{path}: unknown setting {sorted(unknown)[0]!r} "
                          f"(settings: {', '.join(sorted(TOP_KEYS))})")
    base = path.resolve().parent
    index = data.get("index", "index")
    if not isinstance(index, str) or not index:
        raise ConfigError(f"{path}: index must be a folder name")
    engine = data.get("engine")
    if engine is not None and not isinstance(engine, str):
        raise ConfigError(f"{path}: engine must be a name, like \"whoosh\"")
    raw_sources = data.get("sources")
    if not isinstance(raw_sources, list) or not raw_sources:
        raise ConfigError(f"{path}: no [[sources]]: add at least one with a path")
    sources = []
    for number, raw in enumerate(raw_sources, start=1):
        where = f"{path}: sources #{number}"
        if (not isinstance(raw, dict) or not isinstance(raw.get("path"), str)
                or not raw["path"].strip()):
            raise ConfigError(f"{where} needs a path")
        unknown = set(raw) - SOURCE_KEYS
        if unknown:
            raise ConfigError(f"{where}: unknown key {sorted(unknown)[0]!r} "
                              f"(keys: {', '.join(sorted(SOURCE_KEYS))})")
        for key in ("format", "source"):
            if key in raw and not isinstance(raw[key], str):
                raise ConfigError(f"{where}: {key} must be a string")
        if isinstance(raw.get("format"), str):
            # Checked now, not when the first file needs reading (which a night with
            # no new file never does).
            from .formats import reader_named

            try:
                reader_named(raw["format"])
            except UsageError as error:
                raise ConfigError(f"{where}: {error}") from None
        field_map = raw.get("fields", {})
        if not isinstance(field_map, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in field_map.items()):
            raise ConfigError(f"{where}: fields must map our field names to the export's "
                              "keys, like { headline = \"title\" }")
        from .formats.jsonl import FIELDS

        unknown_fields = sorted(set(field_map) - set(FIELDS))
        if unknown_fields:
            raise ConfigError(f"{where}: fields: {unknown_fields[0]!r} is not one of ours "
                              f"({', '.join(FIELDS)}); map ours to the export's keys")
        source_path = raw["path"]
        if not os.path.isabs(source_path):
            source_path = str(base / source_path)
        sources.append(SourceSpec(source_path, raw.get("format"), raw.get("source"),
                                  _patterns(raw.get("include"), f"{where} include"),
                                  _patterns(raw.get("exclude"), f"{where} exclude"),
                                  tuple(sorted(field_map.items()))))
    return Config(path, base / index if not os.path.isabs(index) else Path(index), engine,
                  tuple(sources))
