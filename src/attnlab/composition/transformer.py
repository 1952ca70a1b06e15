"""The transformer of the lower bound, exactly, with its size and the proof's key identity.

The model (Kozachinskiy 2024, restated in the Strassen-attention paper):

* token ``i`` with symbol ``sigma`` is embedded as ``p(i, sigma) in R^d`` -- any table, learned or
  given (an additive ``q(i) + r(sigma)`` is one special case);
* optionally an auxiliary token at the end with a fixed embedding (where Boolean answers are read);
* ``L`` layers, each with ``H`` softmax heads ``W_q, W_k, W_v in R^{d x d}`` and
  ``W_O in R^{d x dH}``, added to the residual stream:
  ``x_i <- x_i + W_O [head_1(i); ...; head_H(i)]`` with
  ``head_h(i) = sum_j softmax_j(beta <W_q x_i, W_k x_j>) W_v x_j``;
* a ReLU MLP ``N: R^d -> R^out`` with ``P`` parameters applied at one chosen token;
* ``size = max(H, d, P)``.

The parameters carry a leading **model** dimension ``S`` so that ``S`` independent models
(different seeds) train as one batched computation; every forward returns ``(S, B, out)``.
:class:`StackedModel` holds what this model shares with the Strassen layer of
:mod:`attnlab.composition.strassen`: the argument checks, the embedding table, the output MLP
(with per-model widths) and the size.

Key identity (the proof's first step). Split the input positions into ``A`` and ``B`` with the
readout token in ``B``. At the readout token ``o`` of a one-layer model, head ``h`` outputs

    head_h(o) = (alpha_h(w_A) + gamma_h(w_B)) / (lambda_h(w_A) + mu_h(w_B)),
    alpha_h = sum_{j in A} e^{s_j} W_v x_j,  lambda_h = sum_{j in A} e^{s_j}  (and gamma, mu over B),

with ``s_j = beta <W_q x_o, W_k x_j>``. When the readout token's own symbol is fixed (the
auxiliary token, or the query of Comp_n with ``x`` fixed as in the reduction to Ind_n), the
``A``-sums depend on ``w_A`` only and the ``B``-sums on ``w_B`` only. :meth:`head_parts`
computes the four sums and :meth:`output_from_parts` finishes the forward pass from them.
The separation holds for the sums as computed only when the scores are shifted by a constant
(``shift=0``, the default: the proof's sums exactly); the usual softmax shift by the maximum
score over all positions multiplies both halves by a factor that depends on the whole input.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from attnlab._checks import check_choice, check_float, check_int, check_tensor
from attnlab.attention import attend


class StackedModel(nn.Module):
    """What every model of the chapter shares: ``S`` stacked models, an embedding table, an MLP.

    :class:`SoftmaxTransformer` and :class:`attnlab.composition.strassen.StrassenTransformer`
    differ only in their attention layers; their argument checks, the embedding table
    ``p(i, sigma)`` ``(S, T, V, d)``, the ReLU output MLP (with per-model widths) and the size
    ``max(H, d, P)`` live here. A subclass calls :meth:`_setup` first, registers its attention
    parameters, then calls :meth:`_setup_mlp` (this order fixes the random initialisation).
    """

    def _setup(
        self,
        length: int,
        vocab: int,
        d: int,
        heads: int,
        mlp_width: int,
        out: int,
        models: int,
        beta: float,
        init_std: float | None,
        readout: int | str,
        named_readouts: tuple[str, ...],
    ) -> float:
        """Check and store the shared arguments, create the embedding table; returns the init std."""
        self.length = check_int("length", length, low=1)
        self.vocab = check_int("vocab", vocab, low=1)
        self.d = check_int("d", d, low=1)
        self.heads = check_int("heads", heads, low=1)
        self.mlp_width = check_int("mlp_width", mlp_width, low=0)
        self.out = check_int("out", out, low=1)
        self.models = check_int("models", models, low=1)
        self.beta = check_float("beta", beta, low=0.0)
        if isinstance(readout, str):
            check_choice("readout", readout, named_readouts)
        else:
            readout = check_int("readout", readout, low=-self.length, high=self.length - 1) % self.length
        self.readout = readout  # a position (0..T-1), or one of named_readouts
        std = d**-0.5 if init_std is None else check_float("init_std", init_std, low=0.0)
        S, T, V = self.models, self.length, self.vocab
        self.embed = nn.Parameter(torch.randn(S, T, V, d) * std)  # (S, T, V, d): p(i, sigma)
        return std

    def _setup_mlp(self, std: float, mlp_widths: list[int] | None) -> None:
        """The output MLP ``d -> m -> out`` (``m = 0``: one linear map), per-model widths masked."""
        S, d, width, out = self.models, self.d, self.mlp_width, self.out
        if width > 0:
            self.W_1 = nn.Parameter(torch.randn(S, d, width) * std)  # (S, d, m)
            self.b_1 = nn.Parameter(torch.zeros(S, width))
            self.W_2 = nn.Parameter(torch.randn(S, width, out) * width**-0.5)  # (S, m, out)
        else:
            self.W_1 = self.b_1 = None
            self.W_2 = nn.Parameter(torch.randn(S, d, out) * std)  # (S, d, out)
        self.b_2 = nn.Parameter(torch.zeros(S, out))
        widths = (
            [width] * S
            if mlp_widths is None
            else [check_int("mlp_widths", w, low=1 if width else 0, high=width) for w in mlp_widths]
        )
        if len(widths) != S:
            raise ValueError(f"mlp_widths must have one entry per model ({S}), got {len(widths)}")
        self.mlp_widths = widths
        mask = (torch.arange(max(width, 1))[None, :] < torch.tensor(widths)[:, None]).float()  # (S, m)
        self.register_buffer("unit_mask", mask)

    # -- sizes -------------------------------------------------------------------------------

    @property
    def mlp_params(self) -> int:
        """``P``: parameters of the output MLP (weights and biases)."""
        return self.mlp_params_of(self.mlp_width)

    def mlp_params_of(self, width: int) -> int:
        """``P`` of an output MLP with ``width`` hidden units (and this model's ``d``, ``out``)."""
        return mlp_params(self.d, width, self.out)

    @property
    def size(self) -> int:
        """``max(H, d, P)``, the size the lower bounds are stated in."""
        return max(self.heads, self.d, self.mlp_params)

    def embed_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        """``p(i, sigma_i)``: ``(S, B, T, d)`` for tokens ``(B, T)`` (shared) or ``(S, B, T)``."""
        S, T = self.models, self.length
        check_tensor("tokens", tokens, ("...", T))
        if tokens.dim() == 2:
            tokens = tokens.expand(S, *tokens.shape)
        if tokens.dim() != 3 or tokens.shape[0] != S:
            raise ValueError(f"tokens must have shape (B, {T}) or ({S}, B, {T}), got {tuple(tokens.shape)}")
        # one row of the flattened (S T V, d) table per token: F.embedding's backward sums the
        # rows' gradients in a fixed order on the CPU (advanced indexing's backward, a parallel
        # index_put_ with accumulation, does not, so two runs from one seed drifted apart)
        V, dev = self.vocab, tokens.device
        rows = (torch.arange(S, device=dev)[:, None, None] * T + torch.arange(T, device=dev)) * V  # (S, 1, T)
        return F.embedding(rows + tokens, self.embed.view(S * T * V, self.d))  # (S, B, T, d)

    def mlp(self, z: torch.Tensor) -> torch.Tensor:
        """The output MLP ``N`` on ``z (S, ..., d)``: ``(S, ..., out)``."""
        ones = (1,) * (z.dim() - 2)  # the dimensions between the model index and the features
        if self.W_1 is not None:
            S, m = self.unit_mask.shape
            z = torch.relu(torch.einsum("s...d,sdm->s...m", z, self.W_1) + self.b_1.view(S, *ones, m))
            z = z * self.unit_mask.view(S, *ones, m)  # each model keeps its own width
        y = torch.einsum("s...m,smo->s...o", z, self.W_2)
        return y + self.b_2.view(self.b_2.shape[0], *ones, self.out)


def mlp_params(d: int, width: int, out: int) -> int:
    """``P`` of a ReLU MLP ``d -> width -> out`` (weights and biases; ``width = 0``: linear)."""
    return (d * width + width + width * out + out) if width > 0 else d * out + out


class SoftmaxTransformer(StackedModel):
    """``S`` stacked copies of the theorem's transformer with ``L`` attention layers.

    Args:
        length: number of input tokens ``T`` (e.g. ``2n + 1`` for Comp_n).
        vocab: alphabet size (symbols ``0..vocab-1``).
        d: embedding dimension, ``>= 1``.
        heads: heads per layer ``H``, ``>= 1``.
        mlp_width: hidden ReLU units of the output MLP (``0``: the MLP is one linear map).
        out: output dimension of the MLP (1 for the theorem's real output; ``n`` for logits).
        layers: number of attention layers ``L``, ``>= 1``.
        readout: position of the token where the answer is read, or ``"aux"`` for an extra
            auxiliary token appended after the input.
        models: number ``S`` of independent models stacked along the first dimension.
        beta: inverse temperature multiplying all attention scores.
        init_std: standard deviation of the random initialisation (default ``d ** -0.5``).
        mlp_widths: optional hidden width of each stacked model (``models`` entries, each
            ``<= mlp_width``): units beyond a model's width are masked to zero, so models of
            different MLP widths train in one batched computation.

    Example::

        >>> model = SoftmaxTransformer(length=9, vocab=4, d=8, heads=2, mlp_width=16, out=4)
        >>> model(torch.randint(0, 4, (32, 9))).shape
        torch.Size([1, 32, 4])
    """

    def __init__(
        self,
        length: int,
        vocab: int,
        d: int,
        heads: int = 1,
        mlp_width: int = 0,
        out: int = 1,
        *,
        layers: int = 1,
        readout: int | str = -1,
        models: int = 1,
        beta: float = 1.0,
        init_std: float | None = None,
        mlp_widths: list[int] | None = None,
    ) -> None:
        super().__init__()
        self.layers = check_int("layers", layers, low=1)
        std = self._setup(length, vocab, d, heads, mlp_width, out, models, beta, init_std, readout, ("aux",))
        self.aux = self.readout == "aux"
        if self.aux:
            self.readout = self.length  # the auxiliary token sits after the input
        S, H, L = self.models, self.heads, self.layers
        self.aux_embed = nn.Parameter(torch.randn(S, d) * std) if self.aux else None  # (S, d)
        self.W_q = nn.Parameter(torch.randn(S, L, H, d, d) * std)  # x -> W_q x per head
        self.W_k = nn.Parameter(torch.randn(S, L, H, d, d) * std)
        self.W_v = nn.Parameter(torch.randn(S, L, H, d, d) * std)
        self.W_o = nn.Parameter(torch.randn(S, L, d, H * d) * std / math.sqrt(H))  # (S, L, d, Hd)
        self._setup_mlp(std, mlp_widths)

    def extra_repr(self) -> str:
        return (
            f"length={self.length}, vocab={self.vocab}, d={self.d}, heads={self.heads}, "
            f"mlp_width={self.mlp_width}, out={self.out}, layers={self.layers}, "
            f"readout={'aux' if self.aux else self.readout}, models={self.models}, beta={self.beta:g}"
        )

    # -- forward -----------------------------------------------------------------------------

    def embed_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        """``p(i, sigma_i)`` for every token (plus the auxiliary token): ``(S, B, T', d)``.

        ``tokens`` is ``(B, T)`` (shared by all models) or ``(S, B, T)``.
        """
        x = super().embed_tokens(tokens)  # (S, B, T, d)
        if self.aux:
            S, B = x.shape[:2]
            x = torch.cat([x, self.aux_embed[:, None, None, :].expand(S, B, 1, self.d)], dim=2)
        return x

    def _heads(self, x: torch.Tensor, layer: int, queries: torch.Tensor) -> torch.Tensor:
        """Concatenated head outputs ``(S, B, N, H d)`` for queries ``(S, B, N, d)`` over keys ``x``."""
        Wq, Wk, Wv = self.W_q[:, layer], self.W_k[:, layer], self.W_v[:, layer]  # (S, H, d, d)
        q = torch.einsum("sbnd,shed->sbhne", queries, Wq)  # (S, B, H, N, d)
        k = torch.einsum("sbtd,shed->sbhte", x, Wk)  # (S, B, H, T', d)
        v = torch.einsum("sbtd,shed->sbhte", x, Wv)
        out, _ = attend(q, k, v, beta=self.beta)  # (S, B, H, N, d)
        S, B, H, N, d = out.shape
        return out.permute(0, 1, 3, 2, 4).reshape(S, B, N, H * d)

    def _readout_heads(self, x: torch.Tensor, layer: int) -> torch.Tensor:
        """Concatenated head outputs at the readout token only: ``(S, B, H d)``.

        The same numbers as :meth:`_heads` for one query, computed in the input space:
        ``s_j = beta <W_k^T W_q x_o, x_j>`` and ``head = W_v (sum_j a_j x_j)``, which costs
        ``O(T d + d^2)`` per head instead of ``O(T d^2)``.
        """
        Wq, Wk, Wv = self.W_q[:, layer], self.W_k[:, layer], self.W_v[:, layer]  # (S, H, d, d)
        x_o = x[:, :, self.readout]  # (S, B, d)
        q = torch.einsum("sbd,shed->sbhe", x_o, Wq)  # (S, B, H, d)
        qk = torch.einsum("sbhe,shed->sbhd", q, Wk)  # (S, B, H, d): W_k^T q
        scores = self.beta * torch.einsum("sbhd,sbtd->sbht", qk, x)  # (S, B, H, T')
        ctx = torch.einsum("sbht,sbtd->sbhd", scores.softmax(-1), x)  # (S, B, H, d)
        heads = torch.einsum("sbhd,shed->sbhe", ctx, Wv)  # (S, B, H, d)
        return heads.flatten(2)

    def residual(self, tokens: torch.Tensor) -> torch.Tensor:
        """The residual stream at the readout token after the last layer: ``(S, B, d)``."""
        x = self.embed_tokens(tokens)  # (S, B, T', d)
        for layer in range(self.layers - 1):
            heads = self._heads(x, layer, x)  # (S, B, T', Hd)
            x = x + torch.einsum("sbnk,sdk->sbnd", heads, self.W_o[:, layer])
        heads = self._readout_heads(x, self.layers - 1)  # the last layer: only o is needed
        return x[:, :, self.readout] + torch.einsum("sbk,sdk->sbd", heads, self.W_o[:, -1])  # (S, B, d)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Answers ``(S, B, out)`` for tokens ``(B, T)`` or ``(S, B, T)``."""
        return self.mlp(self.residual(tokens))

    # -- the key identity (one layer) -----------------------------------------------------------

    def head_parts(
        self, tokens: torch.Tensor, A: torch.Tensor | list[int], *, shift: float | str = 0.0
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """The proof's four sums at the readout token of a one-layer model.

        Args:
            tokens: ``(B, T)`` or ``(S, B, T)``.
            A: input positions (0-indexed) of the ``A`` half; the readout token must not be in it.
            shift: subtracted from every score before exponentiating (the same factor
                ``e^{-shift}`` in numerator and denominator, so the head's output is unchanged).
                A number (default ``0``: the proof's sums exactly) keeps ``alpha, lam`` a
                function of the ``A`` positions only and ``gamma, mu`` of the ``B`` positions only,
                as computed, not just in exact arithmetic; it can overflow where scores are large
                (use float64). ``"max"`` subtracts each head's largest score over *all*
                positions: it never overflows, but scales all four sums by a factor that
                depends on the whole input, so ``alpha`` moves with ``w_B`` (``alpha / lam``
                does not).

        Returns ``(alpha (S,B,H,d), lam (S,B,H), gamma (S,B,H,d), mu (S,B,H), x_out (S,B,d))``.
        """
        if self.layers != 1:
            raise ValueError(f"layers must be 1 for the key identity, got {self.layers}")
        if isinstance(shift, str):
            if shift != "max":
                raise ValueError(f'shift must be a number or "max", got {shift!r}')
        elif isinstance(shift, bool) or not isinstance(shift, (int, float)) or not math.isfinite(shift):
            raise ValueError(f'shift must be a finite number or "max", got {shift!r}')
        A = sorted({int(a) for a in A})
        if any(a < 0 or a >= self.length for a in A) or self.readout in A:
            raise ValueError(
                f"A must be a subset of the input positions 0..{self.length - 1} without the readout "
                f"token {self.readout}, got {A}"
            )
        x = self.embed_tokens(tokens)  # (S, B, T', d)
        x_out = x[:, :, self.readout]  # (S, B, d)
        q = torch.einsum("sbd,shed->sbhe", x_out, self.W_q[:, 0])  # (S, B, H, d)
        k = torch.einsum("sbtd,shed->sbhte", x, self.W_k[:, 0])  # (S, B, H, T', d)
        v = torch.einsum("sbtd,shed->sbhte", x, self.W_v[:, 0])
        s = self.beta * torch.einsum("sbhe,sbhte->sbht", q, k)  # (S, B, H, T')
        w = torch.exp(s - (s.amax(-1, keepdim=True) if shift == "max" else float(shift)))
        in_A = torch.zeros(x.shape[2], dtype=torch.bool, device=x.device)
        in_A[A] = True
        wA, wB = w * in_A, w * ~in_A  # each half's weights: the other half's are exact zeros
        alpha = torch.einsum("sbht,sbhte->sbhe", wA, v)
        gamma = torch.einsum("sbht,sbhte->sbhe", wB, v)
        return alpha, wA.sum(-1), gamma, wB.sum(-1), x_out

    def output_from_parts(
        self,
        alpha: torch.Tensor,
        lam: torch.Tensor,
        gamma: torch.Tensor,
        mu: torch.Tensor,
        x_out: torch.Tensor,
    ) -> torch.Tensor:
        """``N(x_out + W_O [(alpha_h + gamma_h) / (lambda_h + mu_h)]_h)``: ``(S, B, out)``."""
        heads = (alpha + gamma) / (lam + mu)[..., None]  # (S, B, H, d)
        S, B, H, d = heads.shape
        z = x_out + torch.einsum("sbk,sdk->sbd", heads.reshape(S, B, H * d), self.W_o[:, 0])
        return self.mlp(z)


def _drift(new: torch.Tensor, old: torch.Tensor) -> float:
    """The largest change of a sum, relative to the sum's largest entry."""
    return ((new - old).abs().max() / old.abs().max()).item()


@torch.no_grad()
def identity_check(model: SoftmaxTransformer, inputs: int, gen: torch.Generator) -> dict[str, float]:
    """The key identity on one random split of a one-layer ``model`` (use float64), on ``inputs``
    random inputs; with a readout token other than the auxiliary one, its symbol is fixed (0).

    The split: a size uniform in ``1..n-1`` over the ``n`` positions whose symbols vary, ``A`` a
    random subset of that size, ``B`` the rest. Returns ``rel_err``, the largest error of the
    output computed from the four sums (:meth:`SoftmaxTransformer.head_parts`,
    :meth:`~SoftmaxTransformer.output_from_parts`) relative to the forward pass's largest entry;
    ``dep_A``, how far ``alpha, lambda`` move when ``w_B`` is resampled with ``w_A`` fixed, and
    ``dep_B``, how far ``gamma, mu`` move when ``w_A`` is resampled (both relative to the sum's
    largest entry; 0 when each half depends on its own positions only); for contrast, under the
    shift by the largest score, ``dep_A_max`` (the same as ``dep_A``) and ``ratio_A_max`` (the
    drift of ``alpha / lambda``, which the shift cancels).
    """
    n_free = model.length if model.aux else model.length - 1  # positions whose symbols vary
    size = int(torch.randint(1, n_free, (1,), generator=gen))
    A = torch.randperm(n_free, generator=gen)[:size].tolist()
    B = [j for j in range(n_free) if j not in A]
    w = torch.randint(0, model.vocab, (inputs, model.length), generator=gen)
    if not model.aux:
        w[:, -1] = 0  # the readout token's symbol is fixed
    y = model(w)  # (S, inputs, out)
    alpha, lam, gamma, mu, x_out = model.head_parts(w, A)  # the proof's sums (shift 0)
    rel_err = ((model.output_from_parts(alpha, lam, gamma, mu, x_out) - y).abs().max() / y.abs().max()).item()
    w_B = w.clone()  # w_B resampled, w_A fixed: the A-sums must not move
    w_B[:, B] = torch.randint(0, model.vocab, (inputs, len(B)), generator=gen)
    a2, l2, _, _, _ = model.head_parts(w_B, A)
    w_A = w.clone()  # w_A resampled, w_B fixed: the B-sums must not move
    w_A[:, A] = torch.randint(0, model.vocab, (inputs, len(A)), generator=gen)
    _, _, b3, m3, _ = model.head_parts(w_A, A)
    am, lm, _, _, _ = model.head_parts(w, A, shift="max")
    am2, lm2, _, _, _ = model.head_parts(w_B, A, shift="max")
    return {
        "rel_err": rel_err,
        "dep_A": max(_drift(a2, alpha), _drift(l2, lam)),
        "dep_B": max(_drift(b3, gamma), _drift(m3, mu)),
        "dep_A_max": max(_drift(am2, am), _drift(lm2, lm)),
        "ratio_A_max": _drift(am2 / lm2[..., None], am / lm[..., None]),
    }
