"""The cache's plain-data codec: what a cached value may be, and how it is written and read.

Safety (SECURITY.md): values are stored as JSON (Python's C-accelerated ``json``) and
pydantic models as their own JSON, restored by validating it again, so nothing read
back from disk can run code or name a class to build. Only the types this module knows
(JSON values, tuples, dicts, dates, bytes) and those registered with
:func:`register_codec` / :func:`register_model` can be stored; a payload that is not
exactly what :func:`encode` writes is a :class:`CacheCorruptError` from :func:`decode`.

This module does no I/O and trusts nothing: the payloads it decodes have already been
authenticated by an HMAC (:mod:`bafctl.cache`, :mod:`bafctl.cache.packs`).

:class:`LazyModel` keeps a model's JSON until it is read: a warm ``check`` restores no
model.
"""

from __future__ import annotations

import datetime as dt
import json
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: A payload's document length, and a pack's entry count.
_U32 = struct.Struct(">I")


class CacheCorruptError(ValueError):
    """An entry failed its integrity checks (only raised inside :mod:`bafctl.cache`)."""


# ---------------------------------------------------------------------------
# Encoding: plain data only
# ---------------------------------------------------------------------------
#
# A payload is a 4-byte length, a JSON document (ASCII), then raw blobs (models' JSON,
# bytes) that the document refers to by offset and length. Every JSON object in the
# document is a tag with one value: {"t": [...]} a tuple, {"d": [[k, v], ...]} a dict,
# {"date": "2026-01-31"}, {"b": [offset, length]} bytes, {"lazy": [model, offset,
# length]} a LazyModel, {"model": [...]} a model restored now, or a registered codec's
# tag. Tags name entries of fixed tables, never a class to import.


@dataclass(frozen=True)
class _Codec:
    cls: type[Any]
    tag: str
    encode: Callable[[Any, Callable[[Any], Any]], Any]
    decode: Callable[[Any], Any]


_BUILTIN_TAGS = frozenset({"t", "d", "date", "b", "lazy", "model"})
_CODECS_BY_TYPE: dict[type[Any], _Codec] = {}
_CODECS_BY_TAG: dict[str, _Codec] = {}
_MODELS_BY_TAG: dict[str, type[Any]] = {}
_MODEL_TAGS: dict[type[Any], str] = {}


def register_codec(
    cls: type[Any], tag: str, encode: Callable[[Any, Callable[[Any], Any]], Any], decode: Callable[[Any], Any]
) -> None:
    """Let values of exactly ``cls`` be cached, as ``{tag: encode(value, enc)}``.

    ``encode`` returns JSON values (lists, not dicts) and passes anything else through
    ``enc``; ``decode`` receives that with every ``enc``-encoded part already decoded.
    """
    taken = _CODECS_BY_TAG.get(tag)
    if tag in _BUILTIN_TAGS or (taken is not None and taken.cls is not cls):
        raise ValueError(f"cache codec tag {tag!r} is taken")
    codec = _Codec(cls, tag, encode, decode)
    _CODECS_BY_TYPE[cls] = codec
    _CODECS_BY_TAG[tag] = codec


def register_model(cls: type[Any], tag: str | None = None) -> None:
    """Let instances of the pydantic model ``cls`` (and LazyModels of one) be cached.

    Stored as the model's JSON (by alias, unset fields left out) and restored by
    validating it again, which gives an equal model with the same fields set. The
    model's validators must not depend on a validation context (none of bafctl's do).
    """
    name = tag or cls.__name__
    if _MODELS_BY_TAG.get(name, cls) is not cls:
        raise ValueError(f"cache model tag {name!r} is taken")
    _MODELS_BY_TAG[name] = cls
    _MODEL_TAGS[cls] = name


def _model_json(model: Any) -> bytes:
    data: bytes = model.__pydantic_serializer__.to_json(model, by_alias=True, exclude_unset=True)
    return data


def _model_tag(cls: type[Any]) -> str:
    tag = _MODEL_TAGS.get(cls)
    if tag is None:
        raise TypeError(f"cannot cache a {cls.__name__}: not registered with register_model()")
    return tag


class _Encoder:
    __slots__ = ("blobs", "size")

    def __init__(self) -> None:
        self.blobs: list[bytes | memoryview] = []
        self.size = 0

    def blob(self, data: bytes | memoryview) -> tuple[int, int]:
        start = self.size
        self.blobs.append(data)
        self.size += len(data)
        return start, len(data)

    def encode(self, value: Any) -> Any:
        kind = type(value)
        if kind is str or kind is int or kind is bool or kind is float or value is None:
            return value
        if kind is list:
            return [self.encode(item) for item in value]
        if kind is tuple:
            return {"t": [self.encode(item) for item in value]}
        codec = _CODECS_BY_TYPE.get(kind)
        if codec is not None:
            return {codec.tag: codec.encode(value, self.encode)}
        if kind is LazyModel:
            return {"lazy": [_model_tag(value.model_class), *self.blob(value.packed())]}
        if kind in _MODEL_TAGS:
            return {"model": [_MODEL_TAGS[kind], *self.blob(_model_json(value))]}
        if kind is dict:
            return {"d": [[self.encode(k), self.encode(v)] for k, v in value.items()]}
        if kind is dt.date:
            return {"date": value.isoformat()}
        if kind is bytes:
            return {"b": list(self.blob(value))}
        raise TypeError(f"cannot cache a {kind.__name__}: only plain data and registered types")


def encode(value: Any) -> bytes:
    """``value`` as plain data: a length, a JSON document, then the blobs it refers to.

    Raises TypeError for a type that is neither plain data nor registered, ValueError
    for one that cannot be written (a model that does not serialise).
    """
    encoder = _Encoder()
    document = json.dumps(encoder.encode(value), separators=(",", ":"), allow_nan=True).encode("ascii")
    return b"".join([_U32.pack(len(document)), document, *encoder.blobs])


_DECODING = threading.local()


def _blob(start: Any, length: Any) -> memoryview:
    blobs: memoryview = _DECODING.blobs
    if type(start) is not int or type(length) is not int or start < 0 or length < 0 or start + length > len(blobs):
        raise CacheCorruptError("blob out of range")
    return blobs[start : start + length]


def _model_class(tag: Any) -> type[Any]:
    cls = _MODELS_BY_TAG.get(tag) if type(tag) is str else None
    if cls is None:
        raise CacheCorruptError(f"unknown model {tag!r}")
    return cls


def _object_hook(obj: dict[str, Any]) -> Any:
    if len(obj) != 1:
        raise CacheCorruptError("untagged object")
    ((tag, data),) = obj.items()
    codec = _CODECS_BY_TAG.get(tag)
    if codec is not None:
        return codec.decode(data)
    if tag == "t":
        return tuple(data)
    if tag == "lazy":
        tag, start, length = data
        return LazyModel(_blob(start, length), cls=_model_class(tag))
    if tag == "model":
        tag, start, length = data
        return _model_class(tag).model_validate_json(bytes(_blob(start, length)))
    if tag == "d":
        return {k: v for k, v in data}  # noqa: C416 - pairs are lists, not tuples
    if tag == "date":
        return dt.date.fromisoformat(data)
    if tag == "b":
        return bytes(_blob(*data))
    raise CacheCorruptError(f"unknown tag {tag!r}")


_DECODER = json.JSONDecoder(object_hook=_object_hook)
_SCAN: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]


def decode(payload: bytes | memoryview) -> Any:
    """The value :func:`encode` gave ``payload``; CacheCorruptError for anything else."""
    view = memoryview(payload)
    try:
        (length,) = _U32.unpack_from(view, 0)
        if 4 + length > len(view):
            raise CacheCorruptError("truncated document")
        document = str(view[4 : 4 + length], "ascii")
        _DECODING.blobs = view[4 + length :]
        # The C scanner itself: the document is compact JSON, with no white space around it.
        value, end = _SCAN(document, 0)
        if end != len(document):
            raise CacheCorruptError("trailing data")
        return value
    except CacheCorruptError:
        raise
    except Exception as exc:  # noqa: BLE001 - any decoding failure (bad JSON, bad shape) is a miss
        raise CacheCorruptError(f"cannot decode: {type(exc).__name__}") from None
    finally:
        _DECODING.blobs = None


# ---------------------------------------------------------------------------
# Models kept encoded until read
# ---------------------------------------------------------------------------


class LazyModel:
    """A validated model kept as its JSON until something reads it.

    Restoring a model costs time (benchmarks/README.md, "Figures the code refers to"),
    and most commands over a large register need only a few models: ``check`` reads
    cached rule findings, ``diff`` compares the risks whose files changed, ``rescore``
    edits one. The rest stay bytes (warm
    ``check`` and ``diff`` of 5,000 risks, and their memory). Pickled only to cross a
    worker process's pipe (in memory), as the model's JSON.
    """

    __slots__ = ("_cls", "_model", "_packed")

    def __init__(
        self, packed: bytes | memoryview | None = None, model: Any = None, cls: type[Any] | None = None
    ) -> None:
        self._packed = packed
        self._model = model
        self._cls = cls if cls is not None else type(model)

    @classmethod
    def of(cls, model: Any) -> LazyModel:
        """Wrap a model already in memory (encoded only if the wrapper is)."""
        return cls(None, model)

    @property
    def model_class(self) -> type[Any]:
        """The model's class."""
        return self._cls

    def packed(self) -> bytes | memoryview:
        """The model's JSON (written now if the model was never encoded)."""
        if self._packed is None:
            self._packed = _model_json(self._model)
        return self._packed

    def get(self) -> Any:
        """The model, restored on first use."""
        if self._model is None:
            self._model = self.peek()
        return self._model

    def peek(self) -> Any:
        """The model, without keeping it: for a one-off read of a large register's risk."""
        if self._model is not None:
            return self._model
        assert self._packed is not None
        packed = self._packed
        return self._cls.model_validate_json(packed if isinstance(packed, bytes) else bytes(packed))

    @property
    def is_loaded(self) -> bool:
        """True once the model is in memory."""
        return self._model is not None

    def __reduce__(self) -> tuple[Any, ...]:
        try:
            packed = self.packed()
        except (TypeError, ValueError):  # pragma: no cover - a model that does not serialise
            return (LazyModel.of, (self._model,))
        return (LazyModel, (bytes(packed), None, self._cls))

    def __repr__(self) -> str:
        return f"LazyModel({'loaded' if self.is_loaded else 'packed'})"
