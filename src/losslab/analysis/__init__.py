"""``losslab.analysis``: the tools that show *why* — is a loss differentiable and where not,
which loss suits this data, and which pitfalls a model–loss pairing walks into.

Submodules: ``expr`` (a restricted expression parser: nothing is evaluated as Python),
``differentiability`` (the analyser), ``advisor`` (the loss advisor), ``pitfalls`` (the
pitfall linter, :func:`lint`).
"""
from .advisor import Advice, advise
from .differentiability import Report, differentiability
from .expr import ExprError, parse
from .pitfalls import RULES, Finding, LossLabLintWarning, lint

__all__ = [
    "differentiability", "Report", "parse", "ExprError",
    "advise", "Advice",
    "lint", "Finding", "LossLabLintWarning", "RULES",
]
