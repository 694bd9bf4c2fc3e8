"""Positions and lazy types: what a loaded file keeps, restored only when read.

:class:`SourceFromText` rebuilds a file's positions from its bytes on first use;
:class:`LoadedRisk` keeps its model packed (its JSON, from the cache or a worker process)
until read. Both keep a warm load of a large register from parsing or restoring anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bafctl.cache import LazyModel
from bafctl.findings import Finding
from bafctl.load.integrity import RiskFacts, facts_of
from bafctl.models import RegisterSettings, Risk
from bafctl.yamlio import SourceMap, Span, parse_yaml


class SourceFromText(SourceMap):
    """A file's positions, rebuilt on first use by parsing its bytes again.

    The bytes are always at hand when a file loads, and :func:`parse_yaml` gives the same
    positions for the same bytes. Carrying positions instead (encoding every span in the
    worker, storing them in the cache) cost time and memory for every risk; parsing again
    costs only for the few risks whose findings need a position (benchmarks/README.md).
    """

    def __init__(self, data: bytes) -> None:
        # No super().__init__(): ``values`` and ``keys`` are properties here.
        self._data = data
        self._source: SourceMap | None = None

    def _parsed(self) -> SourceMap:
        if self._source is None:
            self._source = parse_yaml(self._data).source
        return self._source

    @property
    def values(self) -> dict[tuple[str | int, ...], Span]:
        """Positions of values by path."""
        return self._parsed().values

    @values.setter
    def values(self, spans: dict[tuple[str | int, ...], Span]) -> None:
        self._parsed().values = spans

    @property
    def keys(self) -> dict[tuple[str | int, ...], Span]:
        """Positions of keys by path."""
        return self._parsed().keys

    @keys.setter
    def keys(self, spans: dict[tuple[str | int, ...], Span]) -> None:
        self._parsed().keys = spans

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SourceMap):
            return (self.values, self.keys) == (other.values, other.keys)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass it stands for

    def __repr__(self) -> str:
        return f"SourceFromText({len(self._data)} bytes, {'parsed' if self._source else 'not parsed'})"


class LoadedRisk:
    """A validated risk with where it came from.

    The model may still be encoded (its JSON, from the cache or a worker process):
    :attr:`risk` restores it on first read, so commands that read few risks of a large register
    (``check`` with cached rule findings, ``diff``, ``rescore``) never restore the rest.
    """

    __slots__ = ("_facts", "_model", "_packed", "analysis", "content", "path", "register_id", "risk_id", "source")

    def __init__(
        self,
        path: str,
        risk: Risk | LazyModel,
        source: SourceMap,
        register_id: str,
        *,
        risk_id: str | None = None,
        facts: RiskFacts | None = None,
        content: bytes | None = None,
        analysis: tuple[str, list[Finding]] | None = None,
    ) -> None:
        self.path = path
        self._model: Risk | None = risk if isinstance(risk, Risk) else None
        self._packed: LazyModel | None = None if isinstance(risk, Risk) else risk
        self.source = source
        self.register_id = register_id
        #: The risk's ID (the model's, without restoring it).
        self.risk_id: str = risk_id if risk_id is not None else self.risk.id
        self._facts = facts
        #: SHA-256 of the file's bytes: equal contents, equal risks (``diff``).
        self.content = content
        #: (analysis key, findings) computed by the loader (:class:`RiskAnalysis`).
        self.analysis = analysis

    @property
    def risk(self) -> Risk:
        """The validated model (restored on first read, then kept)."""
        model = self._model
        if model is None:
            assert self._packed is not None
            model = self._model = self._packed.peek()
        return model

    @property
    def facts(self) -> RiskFacts:
        """What the checks across risks and ``diff`` read without restoring the model."""
        if self._facts is None:
            # Worked out on first read: a risk built from a model alone (a public report's
            # copy) would otherwise re-parse its file for positions nobody reads.
            self._facts = facts_of(self.risk, self.source)
        return self._facts

    @property
    def model_in_memory(self) -> bool:
        """True once the model has been read (or when it was never packed)."""
        return self._model is not None

    def release_model(self) -> None:
        """Forget the model read from its packed form; the next read restores it again.

        A report of 5,000 risks holds every model while it builds its pages (about
        40 KB a risk), then needs none of them to write its HTML.
        """
        if self._packed is not None:
            self._model = None

    def __repr__(self) -> str:
        return f"LoadedRisk({self.path!r}, {self.risk_id!r}, register {self.register_id!r})"


@dataclass
class LoadedRegister:
    """A validated ``register.yaml`` and the risks that loaded cleanly."""

    root: str
    settings: RegisterSettings
    settings_path: str
    source: SourceMap
    risks: list[LoadedRisk] = field(default_factory=list)

    @property
    def id(self) -> str:
        """The register's ID (``register.id``)."""
        return self.settings.info.id
