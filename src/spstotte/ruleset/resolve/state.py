"""What one resolution has gathered so far, and the problems it found.

The steps of resolution (:mod:`.merge`, :mod:`.parameters`, :mod:`.citations`, :mod:`.paths`,
:mod:`.order`) are functions of one :class:`Resolver`; :func:`.pipeline.resolve` runs them.
"""

from __future__ import annotations

from typing import Any

from ...errors import Diagnostic, Span
from ...lang.ruleformat import (
    Act,
    AppealScheme,
    DeliveryForm,
    Difference,
    LegalBasis,
    PathDef,
    ReferralTarget,
    SourceDocument,
    SupportAreaDef,
    Text,
)
from ...loader import LoadedYaml
from ..statutes import acts as statute_acts
from .model import Layer, ResolvedParameter, ResolvedRule


class Resolver:
    """The declarations and rules of one resolution so far, and every problem found."""

    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []
        self.acts: dict[str, Act] = statute_acts()
        #: The municipality whose rule set this is (0 while the law layer is checked alone).
        self.municipality_code = 0
        self.sources: dict[str, tuple[SourceDocument, Span]] = {}
        self.paths: dict[str, tuple[PathDef, Span]] = {}
        self.appeal: dict[str, AppealScheme] = {}
        self.referrals: dict[str, ReferralTarget] = {}
        self.referral_layers: dict[str, Layer] = {}
        self.parameters: dict[str, ResolvedParameter] = {}
        self.support_areas: dict[str, SupportAreaDef] = {}
        self.delivery_forms: dict[str, DeliveryForm] = {}
        self.differences: list[Difference] = []
        self.rules: dict[str, ResolvedRule] = {}
        self.law_rule_ids: set[str] = set()
        self.broken_ids: set[str] = set()
        self.used_parameters: set[str] = {"municipality_code", "path_order"}
        #: Parameters whose value was refused (R214): kept without a value, so that no later
        #: step reads the refused one, and not reported again as unset (R218).
        self.refused_parameters: set[str] = set()
        #: Paths the municipality offers (None: all, when the law layer is checked alone).
        self.offered: set[str] | None = None
        # (loaded file, data path) of every legal basis, for reference checks.
        self.bases: list[tuple[LegalBasis, LoadedYaml, tuple[str | int, ...], Layer]] = []
        # Every title with the legal basis it must match (R227).
        self.titles: list[tuple[Text, LegalBasis | None, Span]] = []

    def fail(self, code: str, variant: str | None, span: Span, /, **values: Any) -> None:
        """Add the problem ``code`` (``variant``) at ``span``, naming ``values``."""
        self.diagnostics.append(Diagnostic.of(code, variant, span, **values))
