"""``compile_step``: one training step (zero_grad, forward, loss, backward, update) that records
its ops once and then replays them, with the eager step's exact numbers.

On a small model most of an eager step is the fixed Python cost of recording every op (issue 8:
the seed's 2-2-1 network spends more than half of its step outside NumPy). A compiled step
runs the first call for each input shape eagerly while recording it
(``losslab.autograd.capture``), and replays later calls as a flat list of the same NumPy kernels,
forward and backward, on the same arrays: same values, same gradients, same updates, bit for bit.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .. import random as _random
from ..autograd.capture import CaptureError, ReplayPlan, recording
from ..autograd.engine import _GradMode
from ..autograd.tensor import Tensor, as_array

__all__ = ["compile_step", "CompiledStep"]


class CompiledStep:
    """A training step that replays its recorded ops; see :func:`compile_step`.

    Attributes:
        stats: counts of ``"captures"`` (recordings that became a plan), ``"replays"`` and
            ``"eager"`` steps (every call is one of the last two).
        reason: why the last call ran eagerly (None after a replay or a successful capture).
    """

    def __init__(self, model, loss_fn: Callable, optimizer):
        from ..nn.module import Module
        from .fit import resolve_loss

        if not isinstance(model, Module):
            raise TypeError(f"compile_step: model must be an ll.nn.Module, got {type(model).__name__}")
        if not hasattr(optimizer, "step") or not hasattr(optimizer, "zero_grad"):
            raise TypeError("compile_step: optimizer must be an ll.optim optimizer (with step() and "
                            f"zero_grad()), got {type(optimizer).__name__}")
        fn, _, _ = resolve_loss(loss_fn)
        self.model, self.loss_fn, self.optimizer = model, fn, optimizer
        owners = [model] + ([loss_fn] if isinstance(loss_fn, Module) else [])
        self._modules = tuple(m for owner in owners for m in owner.modules())
        self._plans: dict = {}  # (shapes, dtypes) -> ReplayPlan, or the reason there is none
        self._last = None
        self.stats = {"captures": 0, "replays": 0, "eager": 0}
        self.reason: str | None = None

    # -- the step ----------------------------------------------------------------------------
    def __call__(self, input, target) -> Tensor:
        """Train on one batch; returns the loss (a Tensor outside the graph)."""
        return self._run(input, target, True)[1]

    def forward_backward(self, input, target) -> tuple[Tensor, Tensor]:
        """The step without the update: ``zero_grad``, forward, loss, ``backward``; every
        parameter's ``.grad`` is set as after ``loss.backward()``, and ``optimizer.step()`` is
        left to the caller (``fit`` checks the output, the loss and the gradient norm first).

        Returns:
            ``(output, loss)``: the model's output and the loss, as Tensors outside the graph.
        """
        return self._run(input, target, False)

    def _run(self, input, target, update: bool):
        x = input if isinstance(input, Tensor) else Tensor._wrap(as_array(input, argname="input"))
        y = target if isinstance(target, Tensor) else Tensor._wrap(as_array(target, argname="target"))
        xd, yd = x.data, y.data
        last = self._last  # (x shape, y shape, x dtype, y dtype, the plan): no hashing per call
        if (last is not None and xd.shape == last[0] and yd.shape == last[1]
                and xd.dtype == last[2] and yd.dtype == last[3]):
            key, plan = None, last[4]
        else:
            key = (xd.shape, yd.shape, xd.dtype, yd.dtype)
            plan = self._plans.get(key)
        if type(plan) is ReplayPlan and _GradMode.enabled and self._modules_as_captured(plan):
            rng = _random.get_rng_state() if plan.draws_random else None
            try:
                loss = plan.run((xd, yd))
            except Exception:  # the eager step below raises the error with its usual message
                loss = "stale"
            if rng is not None and type(loss) is not np.ndarray:
                _random.set_rng_state(rng)  # the eager redo draws the masks this replay drew
            if type(loss) is np.ndarray:
                if key is not None:
                    self._last = (xd.shape, yd.shape, xd.dtype, yd.dtype, plan)
                for p in plan.ungraded:  # zero_grad()'s set_to_none for the rest
                    p.grad = None
                if update:
                    self.optimizer.step()
                self.stats["replays"] += 1
                self.reason = None
                out, plan.output = plan.output, None
                return (None if update or out is None else Tensor._wrap(out)), Tensor._wrap(loss)
            if loss == "stale":  # e.g. a parameter replaced by .double(): capture again
                plan = None
            else:
                self.reason = "an op's check on this batch's values failed (see the eager error)"
        elif type(plan) is ReplayPlan:
            plan = None  # modules switched train/eval or gained hooks since: capture again
        if plan is None:
            self._drop((xd.shape, yd.shape, xd.dtype, yd.dtype))
        return self._eager(x, y, (xd.shape, yd.shape, xd.dtype, yd.dtype), plan is None, update)

    def _drop(self, key) -> None:
        self._plans.pop(key, None)
        self._last = None

    @staticmethod
    def _modules_as_captured(plan) -> bool:
        for m, training in plan.modules:
            if m.training is not training or m._forward_pre_hooks or m._forward_hooks:
                return False
        return True

    def _hooked(self) -> bool:
        return any(m._forward_pre_hooks or m._forward_hooks for m in self._modules)

    def _eager(self, x, y, key, capture: bool, update: bool):
        opt = self.optimizer
        opt.zero_grad()
        rec = None
        if capture and _GradMode.enabled and not self._hooked():
            with recording() as rec:
                out = self.model(x)
                loss = self.loss_fn(out, y)
        else:
            out = self.model(x)
            loss = self.loss_fn(out, y)
            if capture:
                self.reason = ("not captured: grad mode is off" if not _GradMode.enabled else
                               "not captured: a module has forward hooks")
            elif isinstance(self._plans.get(key), str):
                self.reason = self._plans[key]
        if not isinstance(loss, Tensor):
            raise TypeError(f"compile_step: loss_fn must return a Tensor, got {type(loss).__name__}")
        loss.backward()
        if rec is not None:  # the plan takes over the nodes, so it is built after their backward
            try:
                leaves = [t for m in self._modules for t in (*m._parameters.values(), *m._buffers.values())
                          if t is not None]
                plan = ReplayPlan(rec, (x, y), leaves, loss,
                                  output=out if isinstance(out, Tensor) else None)
                plan.modules = tuple((m, m.training) for m in self._modules)
                graded = {id(t) for _, t in plan.grad_leaves}
                plan.ungraded = tuple(p for group in opt.param_groups for p in group["params"]
                                      if id(p) not in graded)
                self._plans[key] = plan
                self.stats["captures"] += 1
                self.reason = None
            except CaptureError as e:
                self._plans[key] = self.reason = f"not replayed: {e}"
        if update:
            opt.step()
        self.stats["eager"] += 1
        out = Tensor._wrap(out.data) if isinstance(out, Tensor) else out
        return out, Tensor._wrap(loss.data)

    @property
    def replaying(self) -> bool:
        """Whether the last call was a replay."""
        return self.reason is None and self.stats["replays"] > 0

    def __repr__(self) -> str:
        s = self.stats
        return (f"CompiledStep(captures={s['captures']}, replays={s['replays']}, eager={s['eager']}"
                + (f", reason={self.reason!r}" if self.reason else "") + ")")


def compile_step(model, loss_fn, optimizer) -> CompiledStep:
    """A training step that records its ops on the first call and replays them afterwards.

    Calling the result on a batch does, with the eager step's exact numbers::

        optimizer.zero_grad()
        loss = loss_fn(model(input), target)
        loss.backward()
        optimizer.step()
        return loss.detach()

    The first call for each combination of input shapes, dtypes and train/eval modes runs eagerly
    and records the ops (``losslab.autograd.capture``). Later calls with the same combination
    replay the recorded forward and backward kernels on the new batch: no graph is built, no
    wrapper re-checks shapes, and the Python cost per op falls to a few tenths of a microsecond.
    On the seed's 2-2-1 network the step takes about two thirds of the eager time, on a
    64-32-10 MLP with Adam about three quarters (``benchmarks/speed.py``, ``docs/performance.md``).

    Args:
        model: an ``ll.nn.Module``; its parameters and buffers are read afresh on every call.
        loss_fn: ``(output, target) -> scalar Tensor``: a function, a loss module or a
            ``losslab.losses`` registry name.
        optimizer: an ``ll.optim`` optimizer over the model's parameters (schedulers that
            change its learning rate between calls keep working: the update is not recorded).

    Returns:
        a :class:`CompiledStep`; ``step(input, target)`` returns the loss, outside the graph.

    Example:
        >>> import losslab as ll
        >>> from losslab import nn, optim
        >>> from losslab.train import compile_step
        >>> _ = ll.manual_seed(0)
        >>> model = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 1), nn.Sigmoid())
        >>> step = compile_step(model, "binary_cross_entropy", optim.SGD(model.parameters(), lr=0.5))
        >>> x, y = ll.tensor([[0.05, 0.10]]), ll.tensor([[1.0]])
        >>> losses = [step(x, y).item() for _ in range(3)]
        >>> step.stats
        {'captures': 1, 'replays': 2, 'eager': 1}

    Note:
        * Only ops marked ``capturable`` are replayed (the fused linear layer; ReLU, leaky ReLU,
          ELU, GELU, sigmoid, tanh and softplus; dropout; the fused mean BCE, BCE with logits
          and softmax cross-entropy; elementwise arithmetic, sums, means, casts and reshapes, so
          ``mse_loss`` too; ``ll.autograd.capture.capturable_ops()`` lists them). A step with
          any other op, or
          whose Python reads a tensor's value (``.item()``, ``if t:``), stays eager, and
          ``step.reason`` says why: always correct, only not faster.
        * Checks on the data's values still run on every replay (labels in range, probabilities
          in [0, 1]); when one fails the step runs eagerly and raises the usual error.
        * As with ``torch.jit.trace`` and CUDA graphs, Python control flow in ``forward`` that
          depends on something other than shapes and tensor values read through the API (a
          global flag, a counter) is frozen at capture: keep such a model eager.
        * Forward hooks make every call eager (they would not run in a replay). A parameter
          replaced by a new array (``model.double()``) makes the next call capture again.
        * Dropout draws its masks in the replay, in the eager step's order; a replay abandoned
          for an eager redo puts the generator back first, so the masks stay the eager run's.
        * Not thread-safe: one CompiledStep per thread.
    """
    return CompiledStep(model, loss_fn, optimizer)
