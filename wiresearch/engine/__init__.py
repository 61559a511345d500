"""Engines behind one interface (base.py). Whoosh is the default and always installed;
tantivy is an optional extra. Nothing outside this package imports either library."""

from __future__ import annotations

from importlib import import_module

from ..errors import EngineUnavailableError, UsageError
from .base import SORTS, Engine, EngineSearcher, EngineWriter, Stored

DEFAULT_ENGINE = "whoosh"
# name -> (module, class, the package it needs)
ENGINES = {
    "whoosh": ("wiresearch.engine.whoosh_engine", "WhooshEngine", "Whoosh-Reloaded"),
    "tantivy": ("wiresearch.engine.tantivy_engine", "TantivyEngine", "tantivy"),
}

__all__ = ["DEFAULT_ENGINE", "ENGINES", "SORTS", "Engine", "EngineSearcher", "EngineWriter",
           "Stored", "engine_class"]


def engine_class(name: str) -> type[Engine]:
    if name not in ENGINES:
        raise UsageError(f"unknown engine {name!r}: use one of {', '.join(ENGINES)}")
    module_name, class_name, package = ENGINES[name]
    try:
        module = import_module(module_name)
    except ImportError as error:
        raise EngineUnavailableError(
            f"the {name} engine needs the {package} package ({error.name} is missing): "
            f"pip install \"wiresearch[{name}]\"") from None
    return getattr(module, class_name)
