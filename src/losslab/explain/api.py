"""One call for ``losslab explain backprop``: options in, text (or JSON) out.

The CLI (``src/losslab/cli.py``) maps its flags onto :func:`explain_backprop` and prints the
result; nothing here touches ``sys.argv``, the terminal or the exit code.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from .compare import Comparison, compare, load_learner_values
from .render import render
from .spec import NetworkSpec, Problem, load_problem, seed_problem
from .trace import BackpropTrace

__all__ = ["build_problem", "explain_backprop", "ExplainResult"]


def build_problem(network: str | Path | None = None, *, x=None, y=None, loss: str | None = None,
                  lr: float | None = None, weights: Sequence[str] | None = None,
                  biases: Sequence[str] | None = None,
                  activations: Sequence[str] | str | None = None) -> Problem:
    """The problem the options describe.

    ``network``: a JSON problem file (schema in :mod:`losslab.explain.spec`) or ``"seed"``;
    default: the seed's 2-2-1 example unless ``weights`` are given. ``weights``/``biases``/
    ``activations``: one string per layer (``"0.2,0.4;0.3,0.1"``, see
    :meth:`NetworkSpec.from_strings`), replacing the file's network. ``x``, ``y`` (``"1,0"``),
    ``loss``, ``lr`` override the file's values. Raises ValueError for a missing ``x``/``y``.
    """
    if network is not None and weights:
        raise ValueError("give either network (a JSON file) or weights (flags), not both")
    if weights:
        spec = NetworkSpec.from_strings(weights, biases, activations if activations else "sigmoid")
        if x is None or y is None:
            raise ValueError("x and y: with weights given as flags, also give the sample, e.g. x='1,0' y='1'")
        return Problem(spec, x, y, loss if loss is not None else "bce", lr if lr is not None else 0.1)
    if biases or activations:
        raise ValueError("biases/activations: only used together with weights")
    base = seed_problem() if network is None else load_problem(network)
    return Problem(
        base.network, base.x if x is None else x, base.y if y is None else y,
        base.loss if loss is None else loss, base.lr if lr is None else lr, base.description,
    )


class ExplainResult:
    """What :func:`explain_backprop` computed: ``trace``, ``comparison`` (or None), ``text``."""

    def __init__(self, trace: BackpropTrace, comparison: Comparison | None, text: str):
        self.trace = trace
        self.comparison = comparison
        self.text = text

    @property
    def ok(self) -> bool:
        """False when a comparison found a wrong step (a CLI may exit 1 then)."""
        return self.comparison is None or self.comparison.ok

    def __str__(self) -> str:
        return self.text


def explain_backprop(network: str | Path | None = None, *, x=None, y=None, loss: str | None = None,
                     lr: float | None = None, weights: Sequence[str] | None = None,
                     biases: Sequence[str] | None = None,
                     activations: Sequence[str] | str | None = None,
                     compare_with: str | Path | None = None, precision: int = 4,
                     as_json: bool = False) -> ExplainResult:
    """Trace one SGD step and, optionally, check a learner's numbers; return the report.

    Args:
        network, x, y, loss, lr, weights, biases, activations: see :func:`build_problem`
            (nothing given: the seed's worked 2-2-1 example).
        compare_with: a learner's file (``name = value`` lines or a JSON object) or ``"seed"``
            for the seed's own hand-worked numbers.
        precision: decimals shown.
        as_json: ``text`` is JSON (``{"trace": …, "comparison": …}``) instead of terminal text.

    Example:
        >>> print(explain_backprop(compare_with="seed").text)  # doctest: +ELLIPSIS
        Backpropagation, one SGD step: 2-2-1 network ...
    """
    problem = build_problem(network, x=x, y=y, loss=loss, lr=lr, weights=weights, biases=biases,
                            activations=activations)
    trace = problem.trace()
    comparison = None
    if compare_with is not None:
        comparison = compare(trace, load_learner_values(compare_with), precision=precision)
    if as_json:
        payload = {"trace": trace.to_dict(precision),
                   "comparison": None if comparison is None else comparison.to_dict()}
        text = json.dumps(payload, ensure_ascii=False, indent=2)
    else:
        text = render(trace, precision)
        if comparison is not None:
            text += "\n" + comparison.render(precision)
    return ExplainResult(trace, comparison, text)
