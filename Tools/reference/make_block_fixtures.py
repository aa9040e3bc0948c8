#!/usr/bin/env python3
"""Parity fixtures for the Phenaki building blocks (phenaki-pytorch 0.5.0).

Builds small, seeded instances of the blocks in `phenaki_pytorch/attention.py`
(the ones `phenaki_pytorch/cvivit.py` and `phenaki_pytorch.py` assemble) and
writes, per case, into Tests/Fixtures/blocks/<case>/:

  weights.safetensors  the module's state_dict (float32, exact state_dict keys,
                       persistent buffers included, zero-size tensors included)
  inputs.safetensors   named inputs (float32 tensors; masks as BOOL; shape ints
                       as int32 vectors) and `grad_weight`, the fixed random
                       cotangent w of the loss (y * w).sum()
  outputs.safetensors  `y`, and `grad:<state_dict key>` for every parameter and
                       `grad_input:<input>` for every float input of
                       L = (y * grad_weight).sum()
  config.json          constructor kwargs and call (phenaki-pytorch names), a
                       Python rendering of the call, shapes, seeds, and the
                       float32-vs-float64 discrepancy of y as a tolerance hint

Run with the venv from Tools/reference/setup.sh:

  Tools/reference/.venv/bin/python Tools/reference/make_block_fixtures.py
  Tools/reference/.venv/bin/python Tools/reference/make_block_fixtures.py --only attention_plain peg
"""

import sys

sys.dont_write_bytecode = True

import argparse
import copy
import json
import shutil
import warnings
import zlib
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any, Callable, Dict, List

warnings.filterwarnings("ignore")

import torch
from safetensors.torch import save_file

import phenaki_pytorch  # noqa: F401  (checks the whole package imports beside the stubs)
from phenaki_pytorch.attention import (
    PEG,
    Attention,
    ContinuousPositionBias,
    FeedForward,
    LayerNorm,
    Transformer,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "Tests" / "Fixtures" / "blocks"
SIZE_LIMIT = 1_500_000  # bytes, whole blocks folder

PINNED = {"phenaki-pytorch": "0.5.0", "vector-quantize-pytorch": "1.11.8"}


# ---------------------------------------------------------------------------
# A call is described once and used three ways: to run the float32 module, to
# run the float64 copy, and to write config.json. Tensor arguments are written
# as {"input": "<name in inputs.safetensors>"}; everything else is literal JSON
# (Python tuples become lists).


class In:
    """A tensor argument taken from inputs.safetensors."""

    def __init__(self, name: str):
        self.name = name


@dataclass
class Case:
    name: str
    checks: str
    module: str  # qualified phenaki-pytorch name
    ctor: Dict[str, Any]
    build: Callable[[], torch.nn.Module]
    inputs: Callable[[], Dict[str, torch.Tensor]]
    args: List[Any] = field(default_factory=list)
    kwargs: Dict[str, Any] = field(default_factory=dict)
    notes: List[str] = field(default_factory=list)


def resolve(value, tensors):
    if isinstance(value, In):
        return tensors[value.name]
    return value


def to_json(value):
    if isinstance(value, In):
        return {"input": value.name}
    if isinstance(value, tuple):
        return [to_json(v) for v in value]
    return value


def to_python(value):
    if isinstance(value, In):
        return value.name
    return repr(value)


# ---------------------------------------------------------------------------
# Seeded helpers.

def gen(seed):
    return torch.Generator().manual_seed(seed)


def randn(g, *shape):
    return torch.randn(*shape, generator=g, dtype=torch.float32)


def perturb_constant_params(module: torch.nn.Module, seed: int):
    """Parameters that start as constants (LayerNorm gamma / weight / bias,
    q_scale, k_scale) get +0.1 * N(0, 1) so the fixtures exercise them. Buffers
    (LayerNorm.beta, always zero in phenaki-pytorch) are left as they are."""
    g = gen(seed)
    perturbed = []
    with torch.no_grad():
        for key, p in module.named_parameters():
            if p.numel() > 1 and bool((p == p.flatten()[0]).all()):
                p.add_(0.1 * randn(g, *p.shape))
                perturbed.append(key)
    return perturbed


def bool_mask(rows):
    return torch.tensor(rows, dtype=torch.bool)


# ---------------------------------------------------------------------------
# The cases. Shared sizes: dim 16, heads 2 (3 where noted), dim_head 8.

B = 2
DIM = 16
HEADS = 2
DIM_HEAD = 8
DIM_CONTEXT = 24


def attention_case(name, checks, ctor, inputs, kwargs, notes=()):
    return Case(
        name=name,
        checks=checks,
        module="phenaki_pytorch.attention.Attention",
        ctor=ctor,
        build=lambda: Attention(**ctor),
        inputs=inputs,
        args=[In("x")],
        kwargs=kwargs,
        notes=list(notes),
    )


def x_only(n, dim=DIM, seed=1):
    return lambda: {"x": randn(gen(seed), B, n, dim)}


KEY_MASK_7 = [
    [True, True, True, True, True, False, False],
    [True, False, True, True, False, True, True],
]
CONTEXT_MASK_5 = [
    [True, True, True, False, False],
    [True, False, True, True, True],
]


def cases() -> List[Case]:
    out: List[Case] = []

    out.append(Case(
        name="layernorm",
        checks="bias-less LayerNorm: F.layer_norm over the last dim with gamma (parameter) and beta (zero buffer), eps 1e-5",
        module="phenaki_pytorch.attention.LayerNorm",
        ctor={"dim": DIM},
        build=lambda: LayerNorm(DIM),
        inputs=x_only(5),
        args=[In("x")],
    ))

    out.append(Case(
        name="feedforward",
        checks="FeedForward(dim 16, mult 4): nn.LayerNorm (with bias) -> Linear(16, 2*42, no bias) -> GEGLU (x, gate = chunk(2); gelu_erf(gate) * x) -> Linear(42, 16, no bias); inner_dim = int(mult * 2/3 * dim) = 42",
        module="phenaki_pytorch.attention.FeedForward",
        ctor={"dim": DIM, "mult": 4, "dropout": 0.0},
        build=lambda: FeedForward(dim=DIM, mult=4, dropout=0.0),
        inputs=x_only(6),
        args=[In("x")],
        notes=["FeedForward is a function returning nn.Sequential: keys 0.* (nn.LayerNorm), 1.weight, 4.weight (2 = GEGLU, 3 = Dropout have no state)"],
    ))

    base = {"dim": DIM, "heads": HEADS, "dim_head": DIM_HEAD}

    out.append(attention_case(
        "attention_plain",
        "self-attention, no mask, no null kv (null_kv is a [heads, 0, dim_head] parameter): pre-LayerNorm, cosine-sim q/k (l2norm * q_scale / k_scale), scale 8",
        dict(base), x_only(7), {},
    ))

    out.append(attention_case(
        "attention_null_kv",
        "num_null_kv 2: null_kv [heads, 2*num_null_kv, dim_head] split as 'h (n r) d' with r = 2 (even rows keys, odd rows values), prepended before the sequence keys/values",
        dict(base, num_null_kv=2), x_only(7), {},
    ))

    def bias_inputs():
        g = gen(2)
        return {"x": randn(g, B, 7, DIM), "attn_bias": randn(g, HEADS, 7, 7)}

    out.append(attention_case(
        "attention_bias",
        "attn_bias [heads, n, n] added to sim after the null-kv columns are zero-padded on the left (num_null_kv 2)",
        dict(base, num_null_kv=2), bias_inputs, {"attn_bias": In("attn_bias")},
    ))

    def key_mask_inputs():
        return {"x": randn(gen(3), B, 7, DIM), "mask": bool_mask(KEY_MASK_7)}

    out.append(attention_case(
        "attention_key_mask",
        "key mask [b, n] bool (False = masked): sim.masked_fill(~mask, -finfo.max) before softmax; no null kv (as the Transformer's self-attention)",
        dict(base), key_mask_inputs, {"mask": In("mask")},
    ))

    out.append(attention_case(
        "attention_causal_alibi_h2",
        "causal=True, heads 2: ALiBi bias -|j - i| * slope[h] added after the mask, then triu(j - i + 1) causal mask with -finfo.max",
        dict(base, causal=True), x_only(7, seed=4), {},
    ))

    out.append(attention_case(
        "attention_causal_alibi_h3",
        "causal=True, heads 3 (not a power of two): slopes = pow2_slopes(2) + pow2_slopes(4)[0::2][:1]",
        dict(base, heads=3, causal=True), x_only(7, seed=5), {},
    ))

    out.append(attention_case(
        "attention_causal_alibi_null_kv",
        "causal=True, heads 3, num_null_kv 2 (not used by Phenaki itself): j = n + 2 > i = n, ALiBi rows are positions j-i..j-1, null kv at key positions 0, 1 get a distance bias and are never causally masked",
        dict(base, heads=3, causal=True, num_null_kv=2), x_only(6, seed=6), {},
    ))

    def cross_inputs():
        g = gen(7)
        return {
            "x": randn(g, B, 6, DIM),
            "context": randn(g, B, 5, DIM_CONTEXT),
            "mask": bool_mask(CONTEXT_MASK_5),
        }

    out.append(attention_case(
        "attention_cross",
        "cross-attention: dim_context 24, context LayerNorm (norm_context), num_null_kv 2, context mask [b, m] left-padded with True for the null kv",
        dict(base, dim_context=DIM_CONTEXT, norm_context=True, num_null_kv=2),
        cross_inputs,
        {"context": In("context"), "mask": In("mask")},
    ))

    for num_dims, dims in ((2, (3, 4)), (3, (2, 2, 3))):
        ctor = {"dim": DIM, "heads": HEADS, "num_dims": num_dims, "layers": 2, "log_dist": True, "cache_rel_pos": False}
        out.append(Case(
            name=f"continuous_position_bias_{num_dims}d",
            checks=f"ContinuousPositionBias num_dims {num_dims}, called with {dims}: rel_pos over the 'ij' meshgrid (row-major flattening), sign(r) * log(|r| + 1), MLP Linear({num_dims}, dim) -> LeakyReLU(0.1) -> Linear(dim, dim) -> LeakyReLU(0.1) -> Linear(dim, heads); y is [heads, N, N], N = prod(dims)",
            module="phenaki_pytorch.attention.ContinuousPositionBias",
            ctor=ctor,
            build=(lambda ctor=ctor: ContinuousPositionBias(**ctor)),
            inputs=(lambda dims=dims: {"dimensions": torch.tensor(dims, dtype=torch.int32)}),
            args=list(dims),
            notes=["forward(*dimensions, device=cpu): the dimensions are Python ints; inputs.safetensors has them as the int32 vector `dimensions` for convenience"],
        ))

    video = (B, 2, 2, 3)  # (b, t, h, w): 12 tokens per sample
    for causal in (False, True):
        out.append(Case(
            name="peg_causal" if causal else "peg",
            checks=("PEG: x [b, t*h*w, d] reshaped to (b, t, h, w, d), depthwise Conv3d(d, d, 3, groups=d, bias) after zero padding "
                    + ("t by (2, 0) (causal), h and w by (1, 1)" if causal else "t, h, w by (1, 1)")
                    + "; y = the conv output, no residual (the Transformer adds x)"),
            module="phenaki_pytorch.attention.PEG",
            ctor={"dim": DIM, "causal": causal},
            build=(lambda causal=causal: PEG(dim=DIM, causal=causal)),
            inputs=(lambda: {"x": randn(gen(8), B, 12, DIM), "video_shape": torch.tensor(video, dtype=torch.int32)}),
            args=[In("x")],
            kwargs={"shape": video},
        ))

    tbase = {"dim": DIM, "dim_head": DIM_HEAD, "heads": HEADS, "attn_dropout": 0.0, "ff_dropout": 0.0}

    spatial_ctor = dict(tbase, depth=2, causal=False, peg=False)
    spatial_video = (B, 2, 2, 3)

    def spatial_inputs():
        g = gen(9)
        return {
            "x": randn(g, B * 2, 6, DIM),
            "attn_bias": randn(g, HEADS, 6, 6),
            "video_shape": torch.tensor(spatial_video, dtype=torch.int32),
        }

    out.append(Case(
        name="transformer_spatial",
        checks="C-ViViT spatial Transformer (depth 2, peg False, not causal): per layer x = attn(x, attn_bias) + x; x = ff(x) + x; then norm_out. Input [(b t), (h w), d]; attn_bias [heads, hw, hw] as spatial_rel_pos_bias(h, w) would give",
        module="phenaki_pytorch.attention.Transformer",
        ctor=spatial_ctor,
        build=lambda: Transformer(**spatial_ctor),
        inputs=spatial_inputs,
        args=[In("x")],
        kwargs={"attn_bias": In("attn_bias"), "video_shape": spatial_video},
        notes=["video_shape is passed as CViViT.encode does; with peg=False it is unused",
               "layers.<i>.0 (PEG) and layers.<i>.2 (cross attention) are None: no keys"],
    ))

    temporal_ctor = dict(tbase, depth=2, causal=True, peg=True, peg_causal=True)
    temporal_video = (B, 5, 2, 2)  # (b, t, h, w)

    def temporal_inputs():
        g = gen(10)
        return {
            "x": randn(g, B * 2 * 2, 5, DIM),
            "video_shape": torch.tensor(temporal_video, dtype=torch.int32),
        }

    out.append(Case(
        name="transformer_temporal_causal",
        checks="C-ViViT temporal Transformer (depth 2, causal ALiBi self-attention, causal PEG). Input [(b h w), t, d] with video_shape (b, t, h, w) exactly as CViViT.encode calls it",
        module="phenaki_pytorch.attention.Transformer",
        ctor=temporal_ctor,
        build=lambda: Transformer(**temporal_ctor),
        inputs=temporal_inputs,
        args=[In("x")],
        kwargs={"video_shape": temporal_video},
        notes=["QUIRK reproduced on purpose: PEG does x.reshape(b, t, h, w, d) on memory laid out as ((b h w), t, d), "
               "i.e. it reinterprets the buffer rather than permuting it; the Swift side must do the same raw reshape"],
    ))

    cross_ctor = dict(tbase, depth=2, dim_context=DIM_CONTEXT, has_cross_attn=True)

    def tcross_inputs():
        g = gen(11)
        return {
            "x": randn(g, B, 8, DIM),
            "context": randn(g, B, 5, DIM_CONTEXT),
            "cross_attn_context_mask": bool_mask(CONTEXT_MASK_5),
        }

    out.append(Case(
        name="transformer_cross",
        checks="Transformer with cross attention (depth 2, attn_num_null_kv 2 default, applies to cross attention only): per layer self-attn, cross-attn(context, mask), ff, each residual; then norm_out",
        module="phenaki_pytorch.attention.Transformer",
        ctor=cross_ctor,
        build=lambda: Transformer(**cross_ctor),
        inputs=tcross_inputs,
        args=[In("x")],
        kwargs={"context": In("context"), "cross_attn_context_mask": In("cross_attn_context_mask")},
    ))

    maskgit_ctor = dict(tbase, depth=2, dim_context=DIM_CONTEXT, has_cross_attn=True, attn_num_null_kv=2, peg=True)
    maskgit_video = (B, 2, 2, 3)

    def maskgit_inputs():
        g = gen(12)
        return {
            "x": randn(g, B, 12, DIM),
            "attn_bias": randn(g, HEADS, 12, 12),
            "self_attn_mask": bool_mask([[True] * 12, [True] * 9 + [False] * 3]),
            "context": randn(g, B, 5, DIM_CONTEXT),
            "cross_attn_context_mask": bool_mask(CONTEXT_MASK_5),
            "video_shape": torch.tensor(maskgit_video, dtype=torch.int32),
        }

    out.append(Case(
        name="transformer_maskgit",
        checks="MaskGit's Transformer configuration: non-causal PEG + self-attn (attn_bias, self_attn_mask) + cross-attn (context mask) + ff, depth 2; x [b, t*h*w, d]",
        module="phenaki_pytorch.attention.Transformer",
        ctor=maskgit_ctor,
        build=lambda: Transformer(**maskgit_ctor),
        inputs=maskgit_inputs,
        args=[In("x")],
        kwargs={
            "video_shape": maskgit_video,
            "attn_bias": In("attn_bias"),
            "context": In("context"),
            "self_attn_mask": In("self_attn_mask"),
            "cross_attn_context_mask": In("cross_attn_context_mask"),
        },
    ))

    return out


# ---------------------------------------------------------------------------

def tensor_info(t: torch.Tensor):
    return {"shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", "")}


def case_seed(name: str) -> int:
    """A seed fixed by the case name, so adding cases never changes others."""
    return zlib.crc32(name.encode()) % 1_000_000


def run_case(case: Case, out_dir: Path):
    seed = case_seed(case.name)
    torch.manual_seed(seed)
    module = case.build()
    perturbed = perturb_constant_params(module, seed + 500)
    module.eval()

    inputs = case.inputs()
    float_inputs = [k for k, v in inputs.items() if v.is_floating_point()]

    module64 = copy.deepcopy(module).double()
    for sub in module64.modules():
        # ContinuousPositionBias hard-codes `rel_pos.float()`; lift it back to float64
        if isinstance(sub, torch.nn.Linear):
            sub.register_forward_pre_hook(lambda _m, args: tuple(a.double() for a in args))

    # float32 run with gradients
    leaves = {k: (v.clone().requires_grad_(True) if k in float_inputs else v) for k, v in inputs.items()}
    args = [resolve(a, leaves) for a in case.args]
    kwargs = {k: resolve(v, leaves) for k, v in case.kwargs.items()}
    y = module(*args, **kwargs)
    grad_weight = randn(gen(seed + 700), *y.shape)
    loss = (y * grad_weight).sum()
    params = dict(module.named_parameters())
    grads = torch.autograd.grad(loss, [*params.values(), *[leaves[k] for k in float_inputs]], allow_unused=True)
    param_grads = dict(zip(params.keys(), grads[: len(params)]))
    input_grads = dict(zip(float_inputs, grads[len(params):]))

    # float64 run: a tolerance hint for the float32 comparison
    leaves64 = {k: (v.double() if k in float_inputs else v) for k, v in inputs.items()}
    with torch.no_grad():
        y64 = module64(*[resolve(a, leaves64) for a in case.args],
                       **{k: resolve(v, leaves64) for k, v in case.kwargs.items()})
    f32_vs_f64 = float((y.detach().double() - y64).abs().max())

    outputs = {"y": y.detach().contiguous()}
    unused = []
    for key, gr in param_grads.items():
        if gr is None:
            unused.append(key)
            gr = torch.zeros_like(params[key])
        outputs[f"grad:{key}"] = gr.detach().contiguous()
    for key, gr in input_grads.items():
        if gr is None:
            gr = torch.zeros_like(inputs[key])
        outputs[f"grad_input:{key}"] = gr.detach().contiguous()

    state = {k: v.detach().to(torch.float32).contiguous() for k, v in module.state_dict().items()}
    assert all(v.dtype == torch.float32 for v in module.state_dict().values())
    param_keys = set(params.keys())

    case_dir = out_dir / case.name
    case_dir.mkdir(parents=True, exist_ok=True)
    # one metadata key only: safetensors (Rust) writes a multi-key metadata map in
    # hash order, which would make the files differ byte-wise from run to run
    meta = {"generator": f"Tools/reference/make_block_fixtures.py ({case.name})"}
    save_file(state, str(case_dir / "weights.safetensors"), metadata=meta)
    save_file({**{k: v.contiguous() for k, v in inputs.items()}, "grad_weight": grad_weight},
              str(case_dir / "inputs.safetensors"), metadata=meta)
    save_file(outputs, str(case_dir / "outputs.safetensors"), metadata=meta)

    call_args = ", ".join([to_python(a) for a in case.args] + [f"{k}={to_python(v)}" for k, v in case.kwargs.items()])
    config = {
        "case": case.name,
        "checks": case.checks,
        "reference": {
            "phenaki-pytorch": version("phenaki-pytorch"),
            "vector-quantize-pytorch": version("vector-quantize-pytorch"),
            "torch": torch.__version__,
        },
        "module": case.module,
        "constructor_kwargs": case.ctor,
        "call": {
            "args": [to_json(a) for a in case.args],
            "kwargs": {k: to_json(v) for k, v in case.kwargs.items()},
            "python": f"y = module({call_args})",
        },
        "mode": "eval",
        "seed": {"torch.manual_seed": seed, "perturb_constant_params": seed + 500, "grad_weight": seed + 700},
        "perturbed_params": perturbed,
        "state_dict": {
            k: dict(tensor_info(v), kind="parameter" if k in param_keys else "buffer")
            for k, v in module.state_dict().items()
        },
        "inputs": {**{k: tensor_info(v) for k, v in inputs.items()}, "grad_weight": tensor_info(grad_weight)},
        "outputs": {k: tensor_info(v) for k, v in outputs.items()},
        "loss": "L = (y * grad_weight).sum(); grad:<key> = dL/d param, grad_input:<name> = dL/d input",
        "unused_params": unused,
        "y_abs_max": float(y.detach().abs().max()),
        "y_f32_vs_f64_max_abs_diff": f32_vs_f64,
        "notes": case.notes,
    }
    with open(case_dir / "config.json", "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")

    size = sum(p.stat().st_size for p in case_dir.iterdir())
    print(f"{case.name:34s} y {str(list(y.shape)):16s} params {len(params):3d} "
          f"f32-vs-f64 {f32_vs_f64:.2e}  {size / 1024:6.1f} KiB")
    return size


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--only", nargs="*", help="case names to (re)generate; default all (and the folder is rebuilt)")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    opts = parser.parse_args()

    for name, want in PINNED.items():
        have = version(name)
        if have != want:
            sys.exit(f"{name} {have} is installed, the fixtures are pinned to {want}: run Tools/reference/setup.sh")

    torch.set_num_threads(1)
    all_cases = cases()
    if opts.list:
        for c in all_cases:
            print(f"{c.name}: {c.checks}")
        return

    names = [c.name for c in all_cases]
    if opts.only:
        unknown = sorted(set(opts.only) - set(names))
        if unknown:
            sys.exit(f"unknown case(s): {', '.join(unknown)}; known: {', '.join(names)}")
    elif opts.out.exists():
        shutil.rmtree(opts.out)
    opts.out.mkdir(parents=True, exist_ok=True)

    for case in all_cases:
        if opts.only and case.name not in opts.only:
            continue
        run_case(case, opts.out)

    total = sum(p.stat().st_size for p in opts.out.rglob("*") if p.is_file())
    print(f"total {total / 1024:.1f} KiB in {opts.out}")
    if total > SIZE_LIMIT:
        sys.exit(f"fixtures are {total} bytes, over the {SIZE_LIMIT} byte budget")


if __name__ == "__main__":
    main()
