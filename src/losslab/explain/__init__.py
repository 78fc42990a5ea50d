"""Step-by-step backpropagation explainer (``losslab explain backprop``).

Runs one forward / loss / backward / SGD step of a small MLP through the engine, records every
value with its formula, renders it for a terminal or as JSON, and checks a learner's hand-worked
numbers step by step (first wrong step; later errors carried from it or new slips).
``graph`` draws the traced network as a computation graph (text or image) with every node's
value and gradient; ``optimizer_step`` works one optimizer update by hand and checks it against
the real optimizer.
"""
from .spec import (
    ACTIVATIONS, LOSSES, LayerSpec, NetworkSpec, Problem, load_problem, parse_matrix, parse_vector,
    seed_problem,
)
from .trace import KINDS, BackpropTrace, Step, name_key, trace_backprop
from .render import render
from .compare import (
    STATUSES, Comparison, LearnerValue, StepCheck, compare, load_learner_values,
    parse_learner_values, seed_learner_values,
)
from .api import ExplainResult, build_problem, explain_backprop
from .graph import ComputationGraph, GraphNode, build_graph, draw_graph, graph_text
from .optimizer_step import (
    ExplanationMismatch, OptimizerExplanation, explain_optimizer, optimizer_names,
)

__all__ = [
    "ACTIVATIONS", "LOSSES", "LayerSpec", "NetworkSpec", "Problem", "load_problem", "parse_matrix",
    "parse_vector", "seed_problem", "KINDS", "BackpropTrace", "Step", "name_key", "trace_backprop",
    "render", "STATUSES", "Comparison", "LearnerValue", "StepCheck", "compare",
    "load_learner_values", "parse_learner_values", "seed_learner_values", "ExplainResult",
    "build_problem", "explain_backprop", "ComputationGraph", "GraphNode", "build_graph",
    "draw_graph", "graph_text", "ExplanationMismatch", "OptimizerExplanation", "explain_optimizer",
    "optimizer_names",
]
