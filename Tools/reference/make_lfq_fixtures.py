#!/usr/bin/env python3
"""Parity fixtures for vector-quantize-pytorch 1.11.8's LFQ and phenaki-pytorch 0.5.0's
CViViT.forward around it (the quantizer CViViT builds: LFQ(dim=dim, codebook_size=codebook_size)).

Everything is computed in float64 (weights drawn in float32, then lifted) and stored as float32,
so the stored values are the exact-arithmetic answer up to float32 rounding. Cases under
Tests/Fixtures/lfq/:

  lfq       LFQ(dim=16, codebook_size=64) in training mode (straight-through + aux losses) on
            x [2, 18, 16] randn: quantized, indices (int32), aux_loss, and the gradients of
            L = (quantized * grad_weight).sum() + aux_loss wrt the input and project_in/out.
  lfq_soft  the same module on 0.02 * x, where the entropy softmax (inv_temperature 100) is not
            saturated, so the entropy terms carry real gradients.
  cvivit    the tiny CViViT of make_cvivit_fixtures.py (dim 16, codebook 64, image (8, 12),
            patch 4, temporal patch 2, depth 1/1, heads 2, dim_head 8, no VGG/GAN), training
            mode (dropout 0): video [2, 3, 5, 8, 12] ->
              recon, recon_loss (F.mse_loss(video, recon)), aux_loss (the vq's),
              indices = cvivit(video, return_only_codebook_ids=True) [2, 3, 2, 3] (int32),
              decoded = cvivit.decode_from_codebook_indices(indices.flatten(1)),
              grad:vq.* and grad_input:video of L = (recon * grad_weight).sum() + recon_loss + aux_loss.

  Tools/reference/.venv/bin/python Tools/reference/make_lfq_fixtures.py
"""

import sys

sys.dont_write_bytecode = True

import json
import shutil
import warnings
import zlib
from pathlib import Path

warnings.filterwarnings("ignore")

import torch
import torch.nn.functional as F
from einops import pack, unpack, rearrange
from safetensors.torch import save_file

import vector_quantize_pytorch
from vector_quantize_pytorch import LFQ
from phenaki_pytorch.cvivit import CViViT

REPO_ROOT = Path(__file__).resolve().parents[2]
OUT = REPO_ROOT / "Tests" / "Fixtures" / "lfq"
SIZE_LIMIT = 300_000

CTOR = dict(dim=16, codebook_size=64, image_size=(8, 12), patch_size=4, temporal_patch_size=2,
            spatial_depth=1, temporal_depth=1, dim_head=8, heads=2, use_vgg_and_gan=False)
BATCH, FRAMES = 2, 5


def seed_of(name):
    return zlib.crc32(name.encode()) % 1_000_000


def f32(t):
    return t.detach().float().contiguous()


def write(name, weights, inputs, outputs, config):
    out = OUT / name
    out.mkdir(parents=True, exist_ok=True)
    save_file({k: f32(v) for k, v in weights.items()}, str(out / "weights.safetensors"))
    save_file({k: (v.contiguous() if v.dtype == torch.int32 else f32(v)) for k, v in inputs.items()},
              str(out / "inputs.safetensors"))
    save_file({k: (v.contiguous() if v.dtype == torch.int32 else f32(v)) for k, v in outputs.items()},
              str(out / "outputs.safetensors"))
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")


def lfq_case(name, scale):
    torch.manual_seed(seed_of("lfq"))
    lfq = LFQ(dim=16, codebook_size=64).train()
    lfq32 = LFQ(dim=16, codebook_size=64).train()
    lfq32.load_state_dict(lfq.state_dict())
    lfq = lfq.double()
    x32 = scale * torch.randn((2, 18, 16), generator=torch.Generator().manual_seed(seed_of("lfq-x")))
    x = x32.double().requires_grad_(True)
    (q, idx, aux), breakdown = lfq(x, return_loss_breakdown=True)
    w = torch.randn(q.shape, generator=torch.Generator().manual_seed(seed_of(name + "-w"))).double()
    loss = (q * w).sum() + aux
    params = dict(lfq.named_parameters())
    keys = sorted(params)
    grads = torch.autograd.grad(loss, [params[k] for k in keys] + [x])
    outputs = {"quantized": q, "indices": idx.int(), "aux_loss": aux,
               "per_sample_entropy": breakdown.per_sample_entropy, "codebook_entropy": breakdown.batch_entropy,
               "commitment": breakdown.commitment}
    for k, g in zip(keys, grads[:-1]):
        outputs["grad:" + k] = g
    outputs["grad_input:x"] = grads[-1]
    with torch.no_grad():
        q32, idx32, aux32 = lfq32(x32)
    config = {
        "module": "vector_quantize_pytorch.LFQ",
        "version": vector_quantize_pytorch.__version__ if hasattr(vector_quantize_pytorch, "__version__") else "1.11.8",
        "constructor_kwargs": {"dim": 16, "codebook_size": 64},
        "call": "quantized, indices, aux_loss = lfq(x)  # training mode, inv_temperature 100",
        "loss": "(quantized * grad_weight).sum() + aux_loss",
        "precision": "float64 reference, stored as float32",
        "input_scale": scale,
        "used_keys": keys,
        "state_dict_buffers_not_stored": [k for k in lfq.state_dict() if k not in params],
        "float32_run": {"indices_equal": bool((idx32 == idx).all()),
                        "quantized_max_abs_diff": float((q32.double() - q).abs().max()),
                        "aux_loss_abs_diff": float((aux32.double() - aux).abs())},
    }
    write(name, {k: params[k] for k in keys}, {"x": x, "grad_weight": w}, outputs, config)
    print(f"{name}: aux {float(aux):.6g} (per-sample {float(breakdown.per_sample_entropy):.3g}, "
          f"codebook {float(breakdown.batch_entropy):.3g}, commit {float(breakdown.commitment):.3g})")


def build_cvivit():
    torch.manual_seed(seed_of("cvivit"))
    model = CViViT(**CTOR)
    g = torch.Generator().manual_seed(seed_of("cvivit-perturb"))
    with torch.no_grad():
        for key, p in model.named_parameters():
            if p.numel() > 1 and bool((p == p.flatten()[0]).all()):
                p.add_(0.1 * torch.randn(p.shape, generator=g))
    return model.train()


def forward_pieces(model, video):
    """CViViT.forward (no mask) step by step, returning what forward keeps internal."""
    first, rest = video[:, :, :1], video[:, :, 1:]
    tokens = torch.cat((model.to_patch_emb_first_frame(first), model.to_patch_emb(rest)), dim=1)
    *_, h, w, _ = tokens.shape
    tokens = model.encode(tokens)
    tokens, ps = pack([tokens], 'b * d')
    tokens, indices, aux = model.vq(tokens)
    indices, = unpack(indices, ps, 'b *')
    tokens = rearrange(tokens, 'b (t h w) d -> b t h w d', h=h, w=w)
    recon = model.decode(tokens)
    return recon, F.mse_loss(video, recon), aux, indices


def cvivit_case():
    model32 = build_cvivit()
    model = build_cvivit()
    model.load_state_dict(model32.state_dict())
    model = model.double()
    # ContinuousPositionBias hard-codes `rel_pos.float()`; lift it back to float64
    model.spatial_rel_pos_bias.net[0].register_forward_pre_hook(lambda _m, args: tuple(a.double() for a in args))
    video32 = torch.randn((BATCH, 3, FRAMES, *CTOR["image_size"]),
                          generator=torch.Generator().manual_seed(seed_of("video")))
    video = video32.double().requires_grad_(True)
    recon, recon_loss, aux, indices = forward_pieces(model, video)
    w = torch.randn(recon.shape, generator=torch.Generator().manual_seed(seed_of("cvivit-lfq-w"))).double()
    loss = (recon * w).sum() + recon_loss + aux
    params = dict(model.named_parameters())
    vq_keys = sorted(k for k in params if k.startswith("vq."))
    grads = torch.autograd.grad(loss, [params[k] for k in vq_keys] + [video])
    with torch.no_grad():
        ids = model(video.detach(), return_only_codebook_ids=True)
        recon_fwd_loss, recon_fwd = model(video.detach(), return_recons=True)
        decoded = model.decode_from_codebook_indices(ids.flatten(1))
        recon32, recon_loss32, aux32, ids32 = forward_pieces(model32, video32)
    assert torch.equal(ids, indices)
    assert torch.allclose(recon_fwd, recon) and torch.allclose(recon_fwd_loss, recon_loss)
    outputs = {"recon": recon, "recon_loss": recon_loss, "aux_loss": aux, "indices": ids.int(), "decoded": decoded}
    for k, g in zip(vq_keys, grads[:-1]):
        outputs["grad:" + k] = g
    outputs["grad_input:video"] = grads[-1]
    sd = model32.state_dict()
    weights = {k: v for k, v in sd.items() if v.is_floating_point()}
    config = {
        "module": "phenaki_pytorch.cvivit.CViViT",
        "constructor_kwargs": {k: list(v) if isinstance(v, tuple) else v for k, v in CTOR.items()},
        "mode": "train (dropout 0; the LFQ straight-through and aux losses are on)",
        "precision": "float64 reference, stored as float32",
        "call": "forward(video) split into its steps; recon/recon_loss checked against "
                "cvivit(video, return_recons=True); indices = cvivit(video, return_only_codebook_ids=True); "
                "decoded = cvivit.decode_from_codebook_indices(indices.flatten(1))",
        "loss": "(recon * grad_weight).sum() + recon_loss + aux_loss",
        "used_keys": sorted(weights),
        "state_dict_buffers_not_stored": sorted(k for k in sd if k not in weights),
        "float32_run": {"indices_equal_fraction": float((ids32 == ids).double().mean()),
                        "recon_max_abs_diff": float((recon32.double() - recon).abs().max()),
                        "aux_loss_abs_diff": float((aux32.double() - aux).abs())},
    }
    write("cvivit", weights, {"video": video, "grad_weight": w}, outputs, config)
    print(f"cvivit: recon_loss {float(recon_loss):.6g}, aux {float(aux):.6g}, "
          f"f32 ids equal {config['float32_run']['indices_equal_fraction']}")


def main():
    torch.set_num_threads(1)
    if OUT.exists():
        shutil.rmtree(OUT)
    lfq_case("lfq", 1.0)
    lfq_case("lfq_soft", 0.02)
    cvivit_case()
    total = sum(f.stat().st_size for f in OUT.rglob("*") if f.is_file())
    print(f"total {total} bytes")
    assert total < SIZE_LIMIT, f"fixtures too large: {total}"


if __name__ == "__main__":
    main()
