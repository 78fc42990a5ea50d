"""``losslab explain``: step-by-step explanations computed by the engine."""
from __future__ import annotations

import click

from ._base import CONTEXT, cli


@cli.group(context_settings=CONTEXT)
def explain() -> None:
    """Step-by-step explanations computed by the engine."""


def _network_options(f):
    """The network options shared by ``explain backprop`` and ``explain graph``."""
    opts = [
        click.option("--network", metavar="FILE|seed",
                     help="A JSON problem file (x, y, loss, lr, layers; see docs/explain.md) or 'seed'."),
        click.option("--weights", multiple=True, metavar="ROWS",
                     help="One layer's weights, rows separated by ';' (e.g. '0.2,0.4;0.3,0.1'); repeat per layer."),
        click.option("--biases", multiple=True, metavar="VALUES",
                     help="One layer's biases (e.g. '0.1,0.2'); repeat per layer."),
        click.option("--activations", multiple=True, metavar="NAME",
                     help="Activation per layer: sigmoid, tanh, relu, leaky_relu, softplus, identity; repeat per layer."),
        click.option("--x", "x", metavar="VALUES", help="The input sample, e.g. '1,0'."),
        click.option("--y", "y", metavar="VALUES", help="The target, e.g. '1'."),
        click.option("--loss", type=click.Choice(["bce", "mse"], case_sensitive=False), help="Loss (default: bce)."),
        click.option("--lr", type=float, help="Learning rate η of the SGD step (default 0.1)."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


@explain.command(context_settings=CONTEXT)
@_network_options
@click.option("--compare", "compare_with", metavar="FILE|seed",
              help="A learner's hand-worked values (JSON or 'name = value' lines) to check, or 'seed' "
                   "for the seed's own numbers. Exit status 1 when a step is wrong.")
@click.option("--precision", type=click.IntRange(0, 12), default=4, show_default=True, help="Decimals shown.")
@click.option("--json", "as_json", is_flag=True, help="Print the trace (and comparison) as JSON.")
def backprop(network, compare_with, weights, biases, activations, x, y, loss, lr, precision, as_json) -> None:
    """One forward pass, loss, backward pass and SGD update, every number from the engine's graph.

    With no options: the worked 2-2-1 example of seed 003. Each gradient is shown with the
    chain-rule product behind it. With --compare, the learner's values are checked at the
    learner's own precision and the first wrong step is named, with why.
    """
    from ..explain import explain_backprop

    try:
        result = explain_backprop(
            network, x=x, y=y, loss=loss, lr=lr, weights=list(weights) or None,
            biases=list(biases) or None, activations=list(activations) or None,
            compare_with=compare_with, precision=precision, as_json=as_json,
        )
    except (ValueError, TypeError, OSError) as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(result.text)
    if not result.ok:
        raise SystemExit(1)


@explain.command(context_settings=CONTEXT)
@_network_options
@click.option("--out", type=click.Path(dir_okay=False), metavar="FILE.png|FILE.svg",
              help="Also draw the graph to this PNG or SVG file (needs matplotlib: pip install \"losslab[plot]\").")
@click.option("--dpi", type=click.IntRange(10, 600), default=150, show_default=True, help="Resolution of a PNG.")
@click.option("--precision", type=click.IntRange(0, 12), default=4, show_default=True, help="Decimals shown.")
@click.option("--json", "as_json", is_flag=True, help="Print the graph (nodes with value and gradient, edges) as JSON.")
def graph(network, weights, biases, activations, x, y, loss, lr, out, dpi, precision, as_json) -> None:
    """The computation graph of a small network, every node with its value and gradient ∂L/∂node.

    Nodes are the inputs, weights, biases, pre-activations z, activations a (ŷ), target and
    loss; 'z1 = … <- w11, x1, …' lists the edges into a node. Every number is the engine's, from
    the same trace as `losslab explain backprop` (no options: the seed's 2-2-1 example). With
    --out the graph is also drawn (inputs left, loss right).
    """
    import json

    from ..explain import build_graph, build_problem, draw_graph, graph_text

    try:
        problem = build_problem(network, x=x, y=y, loss=loss, lr=lr, weights=list(weights) or None,
                                biases=list(biases) or None, activations=list(activations) or None)
        trace = problem.trace()
        if as_json:
            text = json.dumps(build_graph(trace).to_dict(), ensure_ascii=False, indent=2) + "\n"
        else:
            text = graph_text(trace, precision)
        written = None if out is None else draw_graph(trace, out, precision=precision, dpi=dpi)
    except ImportError as exc:
        raise click.ClickException(str(exc)) from None
    except (ValueError, TypeError, OSError) as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(text, nl=False)
    if written is not None:
        click.echo(f"wrote {written}", err=True)


def _parse_param(text: str):
    """``k=v`` -> (k, value): true/false, none, integers, floats, comma lists as tuples, else text."""
    if "=" not in text:
        raise click.BadParameter(f"{text!r}: expected NAME=VALUE, e.g. momentum=0.9 or betas=0.9,0.999",
                                 param_hint="--param")
    key, raw = (s.strip() for s in text.split("=", 1))
    if not key:
        raise click.BadParameter(f"{text!r}: the name before '=' is empty", param_hint="--param")

    def one(s: str):
        s = s.strip()
        low = s.lower()
        if low in ("true", "false"):
            return low == "true"
        if low in ("none", "null"):
            return None
        try:
            return int(s)
        except ValueError:
            pass
        try:
            return float(s)
        except ValueError:
            return s

    body = raw.strip()
    if body.startswith(("(", "[")) and body.endswith((")", "]")):
        body = body[1:-1]
    if "," in body:
        return key, tuple(one(p) for p in body.split(",") if p.strip())
    return key, one(body)


@explain.command(context_settings=CONTEXT)
@click.argument("name", metavar="NAME")
@click.option("--lr", type=float, help="Learning rate η (default: the optimizer's own default, as PyTorch's).")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="A hyperparameter, as the optimizer's constructor takes it: momentum=0.9, nesterov=true, "
                   "betas=0.9,0.999 (or beta1=0.8), eps=1e-6; repeat for several.")
@click.option("--steps", type=click.IntRange(1, 10), default=1, show_default=True,
              help="Steps worked: 2 shows the state carried over (buffers, bias corrections); RAdam's "
                   "rectified step needs 6.")
@click.option("--problem", default="seed", show_default=True, metavar="seed|quadratic",
              help="seed: θ = (w13, w23, b3) of seed 003's network, gradient by the engine; quadratic: "
                   "J = ½(θ1² + 10·θ2²) from (1, 1).")
@click.option("--theta", metavar="VALUES", help="Instead of --problem: your own parameter vector, e.g. '1,-2'.")
@click.option("--grad", "grad", metavar="VALUES",
              help="With --theta: the gradient, used at every step (e.g. '0.5,-1'; ';' separates one per step).")
@click.option("--precision", type=click.IntRange(2, 17), default=6, show_default=True,
              help="Significant digits shown.")
@click.option("--json", "as_json", is_flag=True, help="Print the rule, the steps and the check as JSON.")
def optimizer(name, lr, params, steps, problem, theta, grad, precision, as_json) -> None:
    """An optimizer's update rule with its hyperparameters and one worked step with numbers.

    NAME is a registered optimizer (sgd, adam, adamw, rmsprop, adagrad, adadelta, adamax, nadam,
    radam, rprop, asgd, adafactor, lion, muon) or momentum / nesterov / gd. Every intermediate
    quantity is computed from the printed formula and the result is checked against the real
    losslab optimizer's step() (to 1e-12).
    """
    from ..explain.optimizer_step import ExplanationMismatch, explain_optimizer, optimizer_names
    from ..explain.spec import parse_matrix, parse_vector

    valid = optimizer_names()
    if name.strip().lower() not in valid:
        from ..explain.optimizer_step import REFUSED

        if name.strip().lower() in REFUSED:
            raise click.UsageError(f"{name}: {REFUSED[name.strip().lower()]}")
        raise click.UsageError(f"unknown optimizer {name!r}; valid names: {', '.join(valid)}")
    hp = dict(_parse_param(p) for p in params)
    prob = problem
    try:
        if (theta is None) != (grad is None):
            raise ValueError("--theta and --grad go together: give both (or neither, for --problem)")
        if theta is not None:
            if name.strip().lower() == "muon":
                prob = {"theta": parse_matrix(theta, "--theta").tolist(), "grad": parse_matrix(grad, "--grad").tolist()}
            elif ";" in grad:
                prob = {"theta": parse_vector(theta, "--theta").tolist(), "grad": parse_matrix(grad, "--grad").tolist()}
            else:
                prob = {"theta": parse_vector(theta, "--theta").tolist(), "grad": parse_vector(grad, "--grad").tolist()}
        result = explain_optimizer(name, lr=lr, params=hp, problem=prob, steps=steps, precision=precision,
                                   as_json=as_json)
    except ExplanationMismatch as exc:
        raise click.ClickException(f"the worked step does not match the optimizer: {exc}") from None
    except (ValueError, TypeError) as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(result.text, nl=not result.text.endswith("\n"))
