#!/usr/bin/env python3
"""Parity fixtures for phenaki-pytorch 0.5.0's CViViT, the halves around the quantizer.

A tiny CViViT(dim 16, image (8, 12), patch 4, temporal patch 2, depth 1/1, heads 2,
dim_head 8, use_vgg_and_gan=False) in eval mode. Two cases under Tests/Fixtures/cvivit/:

  encode  video [2, 3, 5, 8, 12] -> to_patch_emb_first_frame / to_patch_emb (as
          CViViT.forward builds them) -> cat on t -> CViViT.encode(tokens):
          pre-quantizer tokens [2, 3, 2, 3, 16]
  decode  tokens [2, 3, 2, 3, 16] (random) -> CViViT.decode(tokens): pixels [2, 3, 5, 8, 12]

Each case folder has weights.safetensors (only the state_dict keys the half uses,
listed in config.json `used_keys`), inputs.safetensors (`video` or `tokens`, and
`grad_weight`), outputs.safetensors (`y`, `grad:<key>` per used parameter,
`grad_input:<input>` of L = (y * grad_weight).sum()) and config.json.

  Tools/reference/.venv/bin/python Tools/reference/make_cvivit_fixtures.py
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
from safetensors.torch import save_file

from phenaki_pytorch.cvivit import CViViT

REPO_ROOT = Path(__file__).resolve().parents[2]
OUT = REPO_ROOT / "Tests" / "Fixtures" / "cvivit"
SIZE_LIMIT = 500_000

CTOR = dict(dim=16, codebook_size=64, image_size=(8, 12), patch_size=4, temporal_patch_size=2,
            spatial_depth=1, temporal_depth=1, dim_head=8, heads=2, use_vgg_and_gan=False)
BATCH, FRAMES = 2, 5

ENCODE_PREFIXES = ("to_patch_emb_first_frame.", "to_patch_emb.", "spatial_rel_pos_bias.",
                   "enc_spatial_transformer.", "enc_temporal_transformer.")
DECODE_PREFIXES = ("dec_temporal_transformer.", "dec_spatial_transformer.", "spatial_rel_pos_bias.",
                   "to_pixels_first_frame.", "to_pixels.")


def seed_of(name):
    return zlib.crc32(name.encode()) % 1_000_000


def build_model():
    torch.manual_seed(seed_of("cvivit"))
    model = CViViT(**CTOR).eval()
    g = torch.Generator().manual_seed(seed_of("cvivit-perturb"))
    perturbed = []
    with torch.no_grad():
        for key, p in model.named_parameters():
            if p.numel() > 1 and bool((p == p.flatten()[0]).all()):
                p.add_(0.1 * torch.randn(p.shape, generator=g))
                perturbed.append(key)
    return model, perturbed


def encode_half(model, video):
    first, rest = video[:, :, :1], video[:, :, 1:]
    tokens = torch.cat((model.to_patch_emb_first_frame(first), model.to_patch_emb(rest)), dim=1)
    return model.encode(tokens)


def decode_half(model, tokens):
    return model.decode(tokens)


def run(name, model, perturbed, prefixes, fn, input_name, x, call):
    out = OUT / name
    out.mkdir(parents=True, exist_ok=True)
    sd = model.state_dict()
    used = sorted(k for k in sd if k.startswith(prefixes))
    params = dict(model.named_parameters())
    x = x.clone().requires_grad_(True)
    y = fn(model, x)
    g = torch.Generator().manual_seed(seed_of(name + "-w"))
    w = torch.randn(y.shape, generator=g)
    loss = (y * w).sum()
    pnames = [k for k in used if k in params]
    grads = torch.autograd.grad(loss, [params[k] for k in pnames] + [x], allow_unused=True)
    outputs = {"y": y.detach().contiguous()}
    unused = []
    for k, gr in zip(pnames, grads[:-1]):
        if gr is None:
            unused.append(k)
            gr = torch.zeros_like(params[k])
        outputs["grad:" + k] = gr.detach().contiguous()
    outputs["grad_input:" + input_name] = grads[-1].detach().contiguous()

    m64 = build_model()[0]
    m64.load_state_dict(model.state_dict())
    m64 = m64.double()
    # ContinuousPositionBias hard-codes `rel_pos.float()`; lift it back to float64
    m64.spatial_rel_pos_bias.net[0].register_forward_pre_hook(lambda _m, args: tuple(a.double() for a in args))
    with torch.no_grad():
        y64 = fn(m64, x.detach().double())
    f32_vs_f64 = float((y.detach().double() - y64).abs().max())

    save_file({k: sd[k].detach().contiguous() for k in used}, str(out / "weights.safetensors"))
    save_file({input_name: x.detach().contiguous(), "grad_weight": w}, str(out / "inputs.safetensors"))
    save_file(outputs, str(out / "outputs.safetensors"))
    config = {
        "module": "phenaki_pytorch.cvivit.CViViT",
        "constructor_kwargs": {k: list(v) if isinstance(v, tuple) else v for k, v in CTOR.items()},
        "call": call,
        "mode": "eval",
        "seeds": {"model": seed_of("cvivit"), "grad_weight": seed_of(name + "-w")},
        "used_keys": used,
        "unused_params": unused,
        "perturbed_params": [k for k in perturbed if k in used],
        "inputs": {input_name: list(x.shape), "grad_weight": list(w.shape)},
        "outputs": {k: list(v.shape) for k, v in outputs.items()},
        "y_f32_vs_f64_max_abs_diff": f32_vs_f64,
        "notes": [
            "grad:spatial_rel_pos_bias.net.2.bias is zero in exact arithmetic (a per-head constant added to "
            "every score of the unmasked spatial attention cancels in the softmax); its stored value is "
            "float32 roundoff (~1e-7)",
            "the temporal transformers get video_shape (b, t, h, w) while their tokens are ((b h w), t, d), "
            "so PEG reinterprets the buffer, as phenaki-pytorch does",
            "unused_params (context_norm.gamma of self-attention) get zero gradients",
        ],
    }
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    print(f"{name}: y {list(y.shape)}, {len(used)} keys, f32-vs-f64 {f32_vs_f64:.2e}")


def main():
    torch.set_num_threads(1)
    if OUT.exists():
        shutil.rmtree(OUT)
    model, perturbed = build_model()
    c, (h, w) = 3, CTOR["image_size"]
    video = torch.randn((BATCH, c, FRAMES, h, w), generator=torch.Generator().manual_seed(seed_of("video")))
    run("encode", model, perturbed, ENCODE_PREFIXES, encode_half, "video", video,
        "first, rest = video[:, :, :1], video[:, :, 1:]; "
        "y = cvivit.encode(torch.cat((cvivit.to_patch_emb_first_frame(first), cvivit.to_patch_emb(rest)), dim=1))")
    ph, pw = h // CTOR["patch_size"], w // CTOR["patch_size"]
    t = 1 + (FRAMES - 1) // CTOR["temporal_patch_size"]
    tokens = torch.randn((BATCH, t, ph, pw, CTOR["dim"]), generator=torch.Generator().manual_seed(seed_of("tokens")))
    run("decode", model, perturbed, DECODE_PREFIXES, decode_half, "tokens", tokens, "y = cvivit.decode(tokens)")
    total = sum(f.stat().st_size for f in OUT.rglob("*") if f.is_file())
    print(f"total {total} bytes")
    assert total < SIZE_LIMIT, f"fixtures too large: {total}"


if __name__ == "__main__":
    main()
