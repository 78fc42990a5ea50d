r"""L-BFGS (Liu & Nocedal 1989), limited-memory quasi-Newton: each ``step(closure)`` runs up to
``max_iter`` iterations, each moving along d = −H·g where H, an approximation of the inverse
Hessian, is built from the last ``history_size`` pairs (s, y) of parameter and gradient changes by
the two-loop recursion; the step length is fixed (``lr``) or found by a strong-Wolfe line search
with cubic interpolation. ``torch.optim.LBFGS``'s algorithm (PyTorch 2.13, itself after minFunc
and torch7's ``optim.lbfgs``), iteration for iteration.

All parameters are treated as one flat vector; there is a single param group.
"""
from __future__ import annotations

import numbers
from typing import Callable

import numpy as np

from ..autograd import Tensor, enable_grad, no_grad
from . import _adaptive as A
from .optimizer import Optimizer, _type_name
from .registry import OptimizerInfo, register_optimizer

__all__ = ["LBFGS", "lbfgs_direction", "cubic_interpolate", "strong_wolfe", "LBFGS_INFO"]


# -- the pure pieces ------------------------------------------------------------------------------
def lbfgs_direction(flat_grad: np.ndarray, old_dirs: list, old_stps: list, ro: list,
                    H_diag, al: list | None = None) -> np.ndarray:
    r"""The L-BFGS search direction d = −H·g by the two-loop recursion; returns a new array.

    Formula (pairs (sᵢ, yᵢ) oldest first, ρᵢ = 1/(yᵢ·sᵢ), γ = H_diag)::

        q ← −g
        for i = k−1 … 0:   αᵢ = ρᵢ·(sᵢ·q);   q ← q − αᵢ·yᵢ
        r ← γ·q
        for i = 0 … k−1:   βᵢ = ρᵢ·(yᵢ·r);   r ← r + (αᵢ − βᵢ)·sᵢ
        d = r

    Args:
        flat_grad: g, the flat gradient.
        old_dirs: the yᵢ (gradient changes); old_stps: the sᵢ (parameter changes); ro: the ρᵢ.
        H_diag: γ = (s·y)/(y·y) of the newest pair, the scale of the initial inverse Hessian.
        al: optional list (length ≥ k) that receives the αᵢ (PyTorch keeps it in the state).

    Shape:
        ``flat_grad`` and every sᵢ, yᵢ: (n,) → d: (n,).

    Example:
        >>> import numpy as np
        >>> from losslab.optim.lbfgs import lbfgs_direction
        >>> g = np.array([2.0, 8.0])                     # f = x² + 4y²: H⁻¹ = diag(1/2, 1/8)
        >>> s = [np.array([1.0, 0.0]), np.array([0.0, 1.0])]
        >>> y = [np.array([2.0, 0.0]), np.array([0.0, 8.0])]
        >>> lbfgs_direction(g, y, s, [1 / 2.0, 1 / 8.0], 1 / 8.0).tolist()   # the Newton step
        [-1.0, -1.0]
    """
    num_old = len(old_dirs)
    if al is None:
        al = [None] * num_old
    q = -flat_grad
    for i in range(num_old - 1, -1, -1):
        al[i] = np.dot(old_stps[i], q) * ro[i]
        q += -al[i] * old_dirs[i]
    r = q * H_diag
    for i in range(num_old):
        be_i = np.dot(old_dirs[i], r) * ro[i]
        r += (al[i] - be_i) * old_stps[i]
    return r


def cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    r"""Minimiser of the cubic through (x₁, f₁) and (x₂, f₂) with slopes g₁, g₂, clamped to
    ``bounds`` (default: the interval between x₁ and x₂).

    Formula (x₂ the farther point; Nocedal & Wright 2006, eq. 3.59)::

        d₁ = g₁ + g₂ − 3·(f₁ − f₂)/(x₁ − x₂)
        d₂ = √(d₁² − g₁g₂)
        x  = x₂ − (x₂ − x₁)·(g₂ + d₂ − d₁)/(g₂ − g₁ + 2d₂)
        if d₁² − g₁g₂ < 0 (no real minimiser): the midpoint of the bounds

    Args:
        x1, f1, g1, x2, f2, g2: the two points, values and derivatives (numbers).
        bounds: (lo, hi) to clamp to.

    Example:
        >>> from losslab.optim.lbfgs import cubic_interpolate
        >>> float(cubic_interpolate(0.0, 1.0, -2.0, 2.0, 1.0, 2.0))   # f = (x − 1)²: minimum 1
        1.0
    """
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square >= 0:
        d2 = np.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def strong_wolfe(obj_func: Callable, x, t, d: np.ndarray, f, g: np.ndarray, gtd, c1: float = 1e-4,
                 c2: float = 0.9, tolerance_change: float = 1e-9, max_ls: int = 25):
    r"""Line search for a step t along d satisfying the strong Wolfe conditions, by bracketing
    and zooming with cubic interpolation (Nocedal & Wright 2006, Algorithms 3.5–3.6; the
    numbers of torch7's ``lswolfe`` and PyTorch's ``_strong_wolfe``).

    Conditions (φ(t) = f(x + t·d), φ'(t) = ∇f(x + t·d)·d)::

        φ(t) ≤ φ(0) + c₁·t·φ'(0)          (sufficient decrease, Armijo)
        |φ'(t)| ≤ −c₂·φ'(0)               (curvature)

    Args:
        obj_func: ``obj_func(x, t, d) -> (f, flat_grad)`` at x + t·d (leaving the parameters at x).
        x: the starting point (passed through to ``obj_func``).
        t: the initial step. d: the search direction. f, g, gtd: φ(0), ∇f(x) and φ'(0) = g·d.
        c1, c2: the Wolfe constants (0 < c₁ < c₂ < 1).
        tolerance_change: stop zooming when the bracket is shorter than this (times max|d|).
        max_ls: the most function evaluations.

    Returns:
        ``(f_new, g_new, t, evaluations)``.

    Example:
        >>> import numpy as np
        >>> from losslab.optim.lbfgs import strong_wolfe
        >>> def obj(x, t, d):                            # f(x) = ‖x‖², from x = (1, 1)
        ...     z = x + t * d
        ...     return float(z @ z), 2 * z
        >>> x = np.ones(2); g = 2 * x; d = -g
        >>> f, g_new, t, n = strong_wolfe(obj, x, 1.0, d, 2.0, g, float(g @ d))
        >>> round(float(t), 6), n
        (0.5, 2)
    """
    d_norm = np.max(np.abs(d))
    g = g.copy()
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = np.dot(g_new, d)

    # bracket an interval containing a point satisfying the Wolfe criteria
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    bracket_gtd = None
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket = [t_prev, t]
            bracket_f = [f_prev, f_new]
            bracket_g = [g_prev, g_new.copy()]
            bracket_gtd = [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket = [t_prev, t]
            bracket_f = [f_prev, f_new]
            bracket_g = [g_prev, g_new.copy()]
            bracket_gtd = [gtd_prev, gtd_new]
            break
        # extrapolate: a cubic step between 1.01·t and 10·t
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new.copy(), gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = np.dot(g_new, d)
        ls_iter += 1

    if ls_iter == max_ls:  # the evaluation budget ran out while bracketing
        bracket = [0, t]
        bracket_f = [f, f_new]
        bracket_g = [g, g_new]

    # zoom: shrink the bracket until a point satisfies the conditions
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0],
                              bracket[1], bracket_f[1], bracket_gtd[1])
        # a trial point too close to the bracket's ends twice in a row (or outside) is moved
        # 10 % of the bracket's length inside
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False

        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = np.dot(g_new, d)
        ls_iter += 1

        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            # not enough decrease, or not below the lowest point: the new high end
            bracket[high_pos] = t
            bracket_f[high_pos] = f_new
            bracket_g[high_pos] = g_new.copy()
            bracket_gtd[high_pos] = gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                # the old high end becomes the low end
                bracket[high_pos] = bracket[low_pos]
                bracket_f[high_pos] = bracket_f[low_pos]
                bracket_g[high_pos] = bracket_g[low_pos]
                bracket_gtd[high_pos] = bracket_gtd[low_pos]
            bracket[low_pos] = t
            bracket_f[low_pos] = f_new
            bracket_g[low_pos] = g_new.copy()
            bracket_gtd[low_pos] = gtd_new

    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals


# -- the optimizer --------------------------------------------------------------------------------
_LINE_SEARCHES = (None, "strong_wolfe")


def _check_int(o: dict, name: str, where: str, lo: int) -> None:
    v = o[name]
    if not isinstance(v, numbers.Integral) or isinstance(v, bool):
        raise TypeError(f"{where}: {name} must be an integer, got {v!r}")
    if v < lo:
        raise ValueError(f"{where}: Invalid {name} value: {name}={v!r}; expected an integer >= {lo}")


def _check_options(o: dict, where: str) -> None:
    """Validate LBFGS hyperparameters (PyTorch checks only lr, and line_search_fn at the first
    step)."""
    A.check_lr(o, where)
    _check_int(o, "max_iter", where, 1)
    _check_int(o, "max_eval", where, 1)
    A.check_range(o, "tolerance_grad", where)
    A.check_range(o, "tolerance_change", where)
    _check_int(o, "history_size", where, 1)
    if o["line_search_fn"] not in _LINE_SEARCHES:
        raise ValueError(f"{where}: line_search_fn={o['line_search_fn']!r} is not supported; "
                         "use None (fixed step lr) or 'strong_wolfe'")


class LBFGS(Optimizer):
    r"""L-BFGS, as ``torch.optim.LBFGS``: each ``step(closure)`` performs up to ``max_iter``
    quasi-Newton iterations, re-evaluating the model through ``closure``.

    Formula (one iteration k; g = ∇J(θ) flattened over all parameters)::

        d_k = −g                                     (the very first iteration)
        d_k = −H_k·g   (two-loop recursion over the last m pairs sᵢ = tᵢdᵢ, yᵢ = gᵢ₊₁ − gᵢ,
                        a pair kept only when y·s > 1e-10; H₀ = (s·y)/(y·y)·I)
        t_k = min(1, 1/‖g‖₁)·lr on the first iteration, lr afterwards; with
              line_search_fn="strong_wolfe", t_k is then refined by a strong-Wolfe line search
        θ ← θ + t_k·d_k

    Stops within a step when max|g| ≤ tolerance_grad, when g·d > −tolerance_change, when
    max|t·d| or |ΔJ| fall below tolerance_change, or after ``max_iter`` iterations or
    ``max_eval`` closure evaluations. The history persists across ``step`` calls.

    Args:
        params: the Tensors to optimize (one param group only).
        lr: learning rate, the (initial) step length (default 1).
        max_iter: iterations per ``step`` (default 20).
        max_eval: closure evaluations per ``step`` (default ``max_iter * 5 // 4``).
        tolerance_grad: stop when max|g| ≤ this (default 1e-7).
        tolerance_change: stop on smaller changes of loss or parameters (default 1e-9).
        history_size: number of (s, y) pairs kept (default 100).
        line_search_fn: None (fixed step) or "strong_wolfe".

    Shape:
        Parameters of any shape, flattened and concatenated (n = total number of elements); the
        state holds vectors of length n: ``d``, ``prev_flat_grad`` and the pairs in
        ``old_dirs``/``old_stps``.

    Example:
        >>> import losslab as ll
        >>> from losslab.optim import LBFGS
        >>> w = ll.tensor([-1.5, 2.0], dtype=ll.float64, requires_grad=True)
        >>> opt = LBFGS([w], line_search_fn="strong_wolfe")
        >>> def closure():
        ...     opt.zero_grad()
        ...     loss = (1 - w[0]) ** 2 + 100 * (w[1] - w[0] ** 2) ** 2   # Rosenbrock
        ...     loss.backward()
        ...     return loss
        >>> for _ in range(5):
        ...     _ = opt.step(closure)
        >>> [round(v, 4) for v in w.data.tolist()]   # stops when the loss changes by < 1e-9
        [1.0, 1.0]

    Note:
        * ``step`` needs the closure (it re-evaluates the loss many times); calling it without
          one raises a TypeError that says so.
        * Only one param group, as in PyTorch (a second group is refused when added). The state
          of the whole optimizer is kept under the first parameter, as PyTorch does.
        * ``max_iter``, ``max_eval``, ``history_size``, the tolerances and ``line_search_fn`` are
          checked in ``__init__`` (PyTorch checks only ``lr``).

    References:
        Liu & Nocedal (1989), On the limited memory BFGS method for large scale optimization;
        Nocedal & Wright (2006), Numerical Optimization, §3.5, §7.2;
        https://docs.pytorch.org/docs/stable/generated/torch.optim.LBFGS.html
    """

    def __init__(self, params, lr: float | Tensor = 1, max_iter: int = 20, max_eval: int | None = None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9,
                 history_size: int = 100, line_search_fn: str | None = None) -> None:
        if max_eval is None and isinstance(max_iter, numbers.Integral) and not isinstance(max_iter, bool):
            max_eval = max_iter * 5 // 4
        defaults = {
            "lr": lr,
            "max_iter": max_iter,
            "max_eval": max_eval,
            "tolerance_grad": tolerance_grad,
            "tolerance_change": tolerance_change,
            "history_size": history_size,
            "line_search_fn": line_search_fn,
        }
        _check_options(defaults, "LBFGS")
        super().__init__(params, defaults)

    def _validate_group(self, group: dict, index: int) -> None:
        if index != 0:
            raise ValueError(
                "LBFGS doesn't support per-parameter options (parameter groups): it optimizes "
                "all parameters as one vector in a single group; put every parameter in one group")
        _check_options(group, "LBFGS")

    @property
    def _params(self) -> list[Tensor]:
        return self.param_groups[0]["params"]

    # -- flat views of the parameters -----------------------------------------------------------
    def _gather_flat_grad(self) -> np.ndarray:
        views = []
        for p in self._params:
            if p.grad is None:
                views.append(np.zeros(p.data.size, dtype=p.data.dtype))
            else:
                views.append(self._grad_array(p).reshape(-1))
        return np.concatenate(views)

    def _add_grad(self, step_size, update: np.ndarray) -> None:
        offset = 0
        for p in self._params:
            param = self._param_array(p)
            n = param.size
            param += (step_size * update[offset:offset + n]).reshape(param.shape).astype(param.dtype, copy=False)
            offset += n

    def _clone_param(self) -> list[np.ndarray]:
        return [p.data.copy() for p in self._params]

    def _set_param(self, params_data: list[np.ndarray]) -> None:
        for p, pdata in zip(self._params, params_data):
            self._param_array(p)[...] = pdata

    def _evaluate(self, closure):
        """Run the closure with gradients enabled; returns (what it returned, its float)."""
        with enable_grad():
            loss = closure()
        try:
            return loss, float(loss)
        except (TypeError, ValueError):
            raise TypeError(
                f"closure: LBFGS needs the closure to return the loss as a one-element Tensor or "
                f"a number, got {_type_name(loss)}") from None

    def _directional_evaluate(self, closure, x, t, d):
        self._add_grad(t, d)
        _, loss = self._evaluate(closure)
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    def step(self, closure=None):
        """Perform one L-BFGS step (up to ``max_iter`` iterations).

        Args:
            closure: a callable that clears the gradients, re-evaluates the model, calls
                ``backward()`` and returns the loss. Required.

        Returns:
            the loss the closure returned on its first evaluation in this step.

        Raises:
            TypeError: no closure (or one that is not callable).
        """
        if closure is None:
            raise TypeError(
                "LBFGS.step() requires a closure: L-BFGS re-evaluates the loss and gradient "
                "several times per step. Pass a function that zeroes the gradients, computes the "
                "loss, calls loss.backward() and returns the loss, e.g. "
                "opt.step(lambda: (opt.zero_grad(), (l := loss_fn()), l.backward(), l)[-1])")
        if not callable(closure):
            raise TypeError(f"closure: expected a callable returning the loss, got {_type_name(closure)}")

        group = self.param_groups[0]
        lr = A.num(group["lr"])
        max_iter = group["max_iter"]
        max_eval = group["max_eval"]
        tolerance_grad = group["tolerance_grad"]
        tolerance_change = group["tolerance_change"]
        line_search_fn = group["line_search_fn"]
        history_size = group["history_size"]

        # all state lives under the first parameter (PyTorch's convention)
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss, loss = self._evaluate(closure)
        current_evals = 1
        state["func_evals"] += 1

        with no_grad():
            flat_grad = self._gather_flat_grad()
            opt_cond = np.max(np.abs(flat_grad)) <= tolerance_grad
            if opt_cond:
                return orig_loss

            d = state.get("d")
            t = state.get("t")
            old_dirs = state.get("old_dirs")
            old_stps = state.get("old_stps")
            ro = state.get("ro")
            H_diag = state.get("H_diag")
            prev_flat_grad = state.get("prev_flat_grad")
            prev_loss = state.get("prev_loss")

            n_iter = 0
            while n_iter < max_iter:
                n_iter += 1
                state["n_iter"] += 1

                # -- direction ------------------------------------------------------------
                if state["n_iter"] == 1:
                    d = -flat_grad
                    old_dirs, old_stps, ro = [], [], []
                    H_diag = 1
                else:
                    y = flat_grad - prev_flat_grad
                    s = d * t
                    ys = np.dot(y, s)
                    if ys > 1e-10:  # keep only pairs with positive curvature
                        if len(old_dirs) == history_size:
                            old_dirs.pop(0)
                            old_stps.pop(0)
                            ro.pop(0)
                        old_dirs.append(y)
                        old_stps.append(s)
                        ro.append(1.0 / ys)
                        H_diag = ys / np.dot(y, y)
                    if "al" not in state:
                        state["al"] = [None] * history_size
                    d = lbfgs_direction(flat_grad, old_dirs, old_stps, ro, H_diag, state["al"])

                if prev_flat_grad is None:
                    prev_flat_grad = flat_grad.copy()
                else:
                    prev_flat_grad[...] = flat_grad
                prev_loss = loss

                # -- step length ----------------------------------------------------------
                if state["n_iter"] == 1:
                    t = min(1.0, 1.0 / np.sum(np.abs(flat_grad))) * lr
                else:
                    t = lr

                gtd = np.dot(flat_grad, d)
                if gtd > -tolerance_change:  # not a descent direction (any more)
                    break

                ls_func_evals = 0
                if line_search_fn is not None:
                    x_init = self._clone_param()

                    def obj_func(x, t, d):
                        return self._directional_evaluate(closure, x, t, d)

                    loss, flat_grad, t, ls_func_evals = strong_wolfe(
                        obj_func, x_init, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals)
                    self._add_grad(t, d)
                    opt_cond = np.max(np.abs(flat_grad)) <= tolerance_grad
                else:
                    self._add_grad(t, d)
                    if n_iter != max_iter:
                        # re-evaluate (not after the last iteration: the next step will)
                        _, loss = self._evaluate(closure)
                        flat_grad = self._gather_flat_grad()
                        opt_cond = np.max(np.abs(flat_grad)) <= tolerance_grad
                        ls_func_evals = 1

                current_evals += ls_func_evals
                state["func_evals"] += ls_func_evals

                # -- stopping -------------------------------------------------------------
                if n_iter == max_iter:
                    break
                if current_evals >= max_eval:
                    break
                if opt_cond:
                    break
                if np.max(np.abs(d * t)) <= tolerance_change:
                    break
                if abs(loss - prev_loss) < tolerance_change:
                    break

            state["d"] = d
            state["t"] = t
            state["old_dirs"] = old_dirs
            state["old_stps"] = old_stps
            state["ro"] = ro
            state["H_diag"] = H_diag
            state["prev_flat_grad"] = prev_flat_grad
            state["prev_loss"] = prev_loss
        return orig_loss


#: LBFGS's registry entry. ``requires_closure`` keeps it out of the generic tests that call
#: ``step()`` without a closure (tests/optim/test_optim_lbfgs.py has its trajectory tests).
LBFGS_INFO = register_optimizer(OptimizerInfo(
    name="lbfgs",
    cls=LBFGS,
    torch_name="LBFGS",
    summary="L-BFGS: limited-memory quasi-Newton steps (two-loop recursion over the last m "
            "(s, y) pairs), fixed step or strong-Wolfe line search; needs a closure, full batch.",
    update_rule="d = −H·g (two-loop recursion);  θ ← θ + t·d  (t = lr or a strong-Wolfe step)",
    kernel=lbfgs_direction,
    state_keys=("func_evals", "n_iter", "d", "t", "old_dirs", "old_stps", "ro", "H_diag",
                "prev_flat_grad", "prev_loss"),
    oracle_configs=(
        dict(lr=1.0, max_iter=20, line_search_fn="strong_wolfe"),
        dict(lr=0.03, max_iter=10),
        dict(lr=1.0, max_iter=5, history_size=3, line_search_fn="strong_wolfe"),
        dict(lr=0.03, max_iter=7, max_eval=9, history_size=2, tolerance_change=1e-12),
        dict(lr=0.5, max_iter=8, history_size=4, tolerance_grad=1e-5, line_search_fn="strong_wolfe"),
    ),
    descent_config={"line_search_fn": "strong_wolfe"},
    descent_steps=5,  # step() calls, each up to max_iter=20 iterations and 25 closure evaluations
    references=(
        "Liu & Nocedal 1989, On the limited memory BFGS method for large scale optimization",
        "Nocedal & Wright 2006, Numerical Optimization, sections 3.5 and 7.2",
        "https://docs.pytorch.org/docs/stable/generated/torch.optim.LBFGS.html",
    ),
    requires_closure=True,
))
