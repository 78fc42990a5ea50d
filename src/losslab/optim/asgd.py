r"""ASGD, averaged stochastic gradient descent (Polyak & Juditsky 1992; the decaying step of
Bottou 2012 / Xu 2011): SGD with a step size decaying as η_t = η₀/(1 + λη₀t)^α and a running
average ``ax`` of the iterates, started after ``t0`` steps. ``torch.optim.ASGD``'s algorithm
(PyTorch 2.13), step for step.

The averaged parameters live in ``optimizer.state[p]['ax']``; the parameters themselves follow
plain (decayed) SGD. To evaluate with the average, copy ``ax`` into the parameters.
"""
from __future__ import annotations

import numpy as np

from ..autograd import Tensor, no_grad
from . import _adaptive as A
from .optimizer import Optimizer
from .registry import OptimizerInfo, register_optimizer

__all__ = ["ASGD", "asgd_update"]


def asgd_update(param: np.ndarray, grad: np.ndarray, ax: np.ndarray, *, step: float, eta: float,
                mu: float, lr: float, lambd: float = 1e-4, alpha: float = 0.75, t0: float = 1e6,
                weight_decay: float = 0.0, maximize: bool = False) -> tuple[float, float]:
    r"""One ASGD update of one parameter array and its average, in place; returns the step size
    and averaging weight for the *next* step, ``(eta, mu)``.

    Formula (PyTorch's ``ASGD``; t = step ≥ 1, η = eta, μ = mu of this step)::

        g  ← −∇J(θ) if maximize else ∇J(θ)
        g  ← g + wd·θ                          (if weight_decay ≠ 0)
        θ  ← θ·(1 − λη)                        (decay term)
        θ  ← θ − η·g
        ax ← ax + μ·(θ − ax)    (ax ← θ when μ = 1)
        next η = lr / (1 + λ·lr·t)^α
        next μ = 1 / max(1, t − t0)

    Args:
        param: the parameter array θ, updated in place (dtype kept).
        grad: ∇J(θ), same shape (not modified).
        ax: the running average of the iterates, updated in place.
        step: t, the number of this step (1 for the first).
        eta: the step size η for this step (``lr`` on the first step).
        mu: the averaging weight μ for this step (1 on the first step).
        lr, lambd, alpha, t0, weight_decay, maximize: as :class:`ASGD`.

    Shape:
        ``param``, ``grad`` and ``ax`` have the same shape.

    Example:
        >>> import numpy as np
        >>> from losslab.optim import asgd_update
        >>> p, ax = np.array([1.0, -2.0]), np.zeros(2)
        >>> eta, mu = asgd_update(p, np.array([1.0, -2.0]), ax, step=1, eta=0.1, mu=1.0,
        ...                       lr=0.1, lambd=0.0)
        >>> p.tolist(), ax.tolist(), eta, mu
        ([0.9, -1.8], [0.9, -1.8], 0.1, 1.0)

    Note:
        PyTorch keeps η and μ in 0-d tensors of the default dtype (float32), so the values used
        from the second step on are rounded to float32; :class:`ASGD` stores them the same way.
    """
    fn = "asgd_update"
    g = A.as_param_dtype(param, grad, maximize, fn)
    if not isinstance(ax, np.ndarray) or ax.shape != param.shape:
        raise ValueError(f"{fn}: ax has shape {getattr(ax, 'shape', type(ax).__name__)} but param "
                         f"has shape {param.shape}")
    if weight_decay != 0:
        g = g + weight_decay * param
    param *= 1 - lambd * eta
    param += -eta * g
    if mu != 1:
        ax += (param - ax) * mu
    else:
        ax[...] = param
    new_eta = lr / ((1 + lambd * lr * step) ** alpha)
    new_mu = 1 / max(1, step - t0)
    return new_eta, new_mu


def _check_options(o: dict, where: str) -> None:
    """Validate ASGD hyperparameters (``torch.optim.ASGD.__init__``'s conditions, plus
    lambd, alpha, t0 ≥ 0)."""
    A.check_lr(o, where)
    A.check_range(o, "lambd", where)
    A.check_range(o, "alpha", where)
    A.check_range(o, "t0", where)
    A.check_range(o, "weight_decay", where)
    A.check_flags(o, where, ("maximize",))
    A.check_impl_flags(o, where)


class ASGD(Optimizer):
    r"""Averaged stochastic gradient descent, as ``torch.optim.ASGD``.

    Formula (η₀ = lr, λ = lambd, α = alpha, wd = weight_decay; per parameter, t = 1, 2, …)::

        g_t  = ∇J(θ_{t-1}) + wd·θ_{t-1}      (−∇J if maximize)
        θ_t  = θ_{t-1}·(1 − λη_t) − η_t·g_t
        ax_t = ax_{t-1} + μ_t·(θ_t − ax_{t-1})
        η_{t+1} = η₀ / (1 + λη₀t)^α,   μ_{t+1} = 1 / max(1, t − t0)      (η₁ = η₀, μ₁ = 1)

    The kernel is :func:`asgd_update`; the state is ``step``, ``eta``, ``mu`` (0-d arrays) and
    ``ax`` (the averaged parameters).

    Args:
        params: iterable of Tensors, of ``(name, Tensor)`` pairs, or of param-group dicts.
        lr: η₀ (default 1e-2); a float or a 1-element Tensor.
        lambd: decay term λ ≥ 0 (default 1e-4).
        alpha: power α ≥ 0 of the step-size decay (default 0.75).
        t0: the step after which averaging starts (default 1e6).
        weight_decay: L2 penalty ≥ 0 added to the gradient (default 0).
        foreach: accepted and ignored. maximize: maximise the objective (default False).
        differentiable, capturable: must be False.

    Shape:
        Parameters of any shape; ``ax`` has its parameter's shape and dtype.

    Example:
        >>> import losslab as ll
        >>> from losslab.optim import ASGD
        >>> w = ll.tensor([2.0, -3.0], requires_grad=True)
        >>> opt = ASGD([w], lr=0.1, t0=10)
        >>> for _ in range(100):
        ...     opt.zero_grad(); (w * w).sum().backward(); opt.step()
        >>> bool(abs(w.data).max() < 1e-3), opt.state[w]['ax'].shape
        (True, (2,))

    Note:
        * The step size and averaging weight of a step are computed at the end of the previous
          step from the group's ``lr`` at that time (the first step uses the ``lr`` the state was
          created with), and stored as float32 (the default dtype) like PyTorch's. After
          ``load_state_dict`` they are cast to the parameter's dtype, as PyTorch does; the
          values are float32-exact, so a resumed run still equals an uninterrupted one.
        * ``lambd``, ``alpha`` and ``t0`` are checked to be ≥ 0 (PyTorch accepts any number).

    References:
        Polyak & Juditsky (1992), Acceleration of stochastic approximation by averaging;
        https://docs.pytorch.org/docs/stable/generated/torch.optim.ASGD.html
    """

    _param_shaped_state = ("ax",)

    def __init__(self, params, lr: float | Tensor = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        defaults = {
            "lr": lr,
            "lambd": lambd,
            "alpha": alpha,
            "t0": t0,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        _check_options(defaults, "ASGD")
        super().__init__(params, defaults)

    def _validate_group(self, group: dict, index: int) -> None:
        _check_options(group, f"ASGD param group {index}")

    def step(self, closure=None):
        """Perform one ASGD step on every parameter that has a gradient.

        Args:
            closure: optional callable that re-evaluates the model and returns the loss.

        Returns:
            the closure's loss, or None.
        """
        loss = self._run_closure(closure)
        with no_grad():
            for group in self.param_groups:
                lr = A.num(group["lr"])
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    grad = self._grad_array(p)
                    param = self._param_array(p)
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = A.new_step()
                        state["eta"] = np.array(lr, dtype=A.scalar_dtype())
                        state["mu"] = np.ones((), dtype=A.scalar_dtype())
                        state["ax"] = np.zeros_like(param)
                    t = A.advance_step(state)
                    for key in ("eta", "mu"):  # a plain number from an old state dict
                        if not isinstance(state[key], np.ndarray) or state[key].shape != ():
                            state[key] = np.array(A.num(state[key]), dtype=A.scalar_dtype())
                    eta, mu = asgd_update(
                        param, grad, state["ax"], step=t, eta=float(state["eta"]),
                        mu=float(state["mu"]), lr=lr, lambd=group["lambd"], alpha=group["alpha"],
                        t0=group["t0"], weight_decay=group["weight_decay"],
                        maximize=group["maximize"])
                    # rounded to the scalar dtype (float32 by default), as PyTorch keeps them;
                    # fresh arrays, so that a state loaded as float64 rounds the same way
                    state["eta"] = np.array(eta, dtype=A.scalar_dtype())
                    state["mu"] = np.array(mu, dtype=A.scalar_dtype())
        return loss


def _asgd_oracle_configs() -> tuple[dict, ...]:
    """weight_decay × maximize with a large lambd (so η decays visibly) and t0 inside the run
    (so the averaging weight μ changes), plus the defaults."""
    out = [dict(lr=0.05)]
    for wd in (0.0, 1e-2):
        for maximize in (False, True):
            out.append(dict(lr=0.05, lambd=0.5, alpha=0.6, t0=20, weight_decay=wd,
                            maximize=maximize))
    out.append(dict(lr=0.1, lambd=1e-3, alpha=1.0, t0=0.0))
    return tuple(out)


register_optimizer(OptimizerInfo(
    name="asgd",
    cls=ASGD,
    torch_name="ASGD",
    summary="Averaged SGD: SGD with a decaying step size and a running average of the iterates "
            "(kept in state['ax']) started after t0 steps.",
    update_rule="θ ← θ(1 − λη) − η·g;  ax ← ax + μ(θ − ax);  η ← η₀/(1 + λη₀t)^α;  "
                "μ ← 1/max(1, t − t0)",
    kernel=asgd_update,
    state_keys=("step", "eta", "mu", "ax"),
    oracle_configs=_asgd_oracle_configs(),
    descent_config={"lr": 1e-3},
    descent_steps=3000,  # plain (decayed) GD: Rosenbrock's curvature at the start caps lr near 1e-3
    references=(
        "Polyak & Juditsky 1992, Acceleration of stochastic approximation by averaging",
        "https://docs.pytorch.org/docs/stable/generated/torch.optim.ASGD.html",
    ),
))
