"""``losslab.analysis``: the tools that show *why* — is a loss differentiable and where not,
which loss suits this data, and which pitfalls a model–loss pairing walks into.

Submodules: ``expr`` (a restricted expression parser: nothing is evaluated as Python),
``differentiability`` (the analyser), ``advisor`` (the loss advisor), ``lint`` (the pitfall
linter).
"""
from .advisor import Advice, advise

__all__ = ["advise", "Advice"]
from .pitfalls import Finding, LossLabLintWarning, RULES, lint

__all__ += ["lint", "Finding", "LossLabLintWarning", "RULES"]
