#!/usr/bin/env python3
"""Parity fixtures for vector-quantize-pytorch 1.11.8's cosine VectorQuantize and FSQ, and for
phenaki-pytorch 0.5.0's CViViT with the VectorQuantize quantizer (lookup_free_quantization=False),
with a video_frame_mask, and in image mode. Cases under Tests/Fixtures/quantizers/:

  vq          VectorQuantize(dim=16, codebook_size=32, use_cosine_sim=True), training mode, on
              x [2, 18, 16]: quantized, indices, commit_loss (PyTorch's [1] loss as a scalar),
              grad_input:x of L = (quantized * grad_weight).sum() + commit_loss.
  vq_mask     the same with mask [2, 18] (bool): masked-out tokens pass through, the commitment
              loss is the mean over kept tokens.
  vq_eval     the same module in eval mode: quantized = codebook[indices], loss 0.
  vq_ema      the codebook's EMA update (CosineSimCodebook.forward in training mode): two training
              forwards of the same module, vq(x1, mask=mask1) then vq(x2), from the fresh state
              (cluster_size 0, embed_avg = embed). After forward i: quantized_i, indices_i,
              commit_loss_i and the buffers embed_i, cluster_size_i, embed_avg_i.
  fsq         FSQ(levels=[8, 5, 5, 5], dim=16) (projections) on 2 * x: quantized, indices, codes
              (indices_to_codes(indices, project_out=False)), grad:project_* and grad_input:x of
              L = (quantized * grad_weight).sum().
  fsq_noproj  FSQ(levels=[8, 6, 5]) (dim 3, no projections) on 2 * x [2, 18, 3].
  cvivit_vq   the tiny CViViT (dim 16, codebook 32, image (8, 12), patch (4, 3): a rectangular
              image in non-square patches, temporal patch 2, depth 1/1, heads 2, dim_head 8, no
              VGG/GAN, lookup_free_quantization=False), training mode, video [2, 3, 5, 8, 12]:
              recon, recon_loss, aux_loss, indices [2, 3, 2, 4], decoded =
              decode_from_codebook_indices(indices.flatten(1)), and the gradients of
              L = (recon * grad_weight).sum() + recon_loss + aux_loss wrt every parameter and video.
  cvivit_vq_mask   the same with mask = video_frame_mask [2, 5] (row 1 keeps 3 frames): recon,
              recon_loss, aux_loss, grad_input:video.
  cvivit_lfq_mask  the same CViViT with lookup_free_quantization=True (LFQ ignores the mask; the
              recon loss does not).
  The video cases also store indices_short: the ids of the first 3 frames alone (phenaki-pytorch
  0.5.0's encoder is not causal, see the causality test).
  cvivit_image     the VQ CViViT on an image [2, 3, 8, 12]: recon [2, 3, 8, 12], recon_loss,
              aux_loss, indices [2, 1, 2, 4], grad_input:image.

Everything runs in float32: CosineSimCodebook.forward casts its input to float32 itself, so a
float64 run is not possible. Cases where an argmax is nearly tied would make ids differ between
float32 and float64; the script refuses a case whose top-2 cosine similarity gap is below 1e-4.
VectorQuantize's training forward updates the codebook (EMA) in place, so the state_dict is
saved before the forward and restored before every further call.

  Tools/reference/.venv/bin/python Tools/reference/make_quantizer_fixtures.py
"""

import sys

sys.dont_write_bytecode = True

import copy
import json
import shutil
import warnings
import zlib
from importlib.metadata import version
from pathlib import Path

warnings.filterwarnings("ignore")

import torch
import torch.nn.functional as F
from einops import pack, unpack, rearrange, repeat
from safetensors.torch import save_file

from vector_quantize_pytorch import VectorQuantize, FSQ
from phenaki_pytorch.cvivit import CViViT

REPO_ROOT = Path(__file__).resolve().parents[2]
OUT = REPO_ROOT / "Tests" / "Fixtures" / "quantizers"
SIZE_LIMIT = 790_000
MIN_GAP = 1e-4

CTOR = dict(dim=16, codebook_size=32, image_size=(8, 12), patch_size=(4, 3), temporal_patch_size=2,
            spatial_depth=1, temporal_depth=1, dim_head=8, heads=2, use_vgg_and_gan=False)
BATCH, FRAMES = 2, 5


def seed_of(name):
    return zlib.crc32(name.encode()) % 1_000_000


def randn(shape, name):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed_of(name)))


def stored(t):
    t = t.detach().contiguous()
    return t.float() if t.is_floating_point() else t


def write(name, weights, inputs, outputs, config):
    out = OUT / name
    out.mkdir(parents=True, exist_ok=True)
    save_file({k: stored(v) for k, v in weights.items()}, str(out / "weights.safetensors"))
    save_file({k: stored(v) for k, v in inputs.items()}, str(out / "inputs.safetensors"))
    save_file({k: stored(v) for k, v in outputs.items()}, str(out / "outputs.safetensors"))
    config = {"versions": {p: version(p) for p in ("torch", "phenaki-pytorch", "vector-quantize-pytorch")},
              "precision": "float32", **config}
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")


def cosine_gap(x, embed):
    """The smallest gap between the best and second-best cosine similarity over all tokens."""
    sim = F.normalize(x.reshape(-1, x.shape[-1]), dim=-1) @ embed.reshape(-1, embed.shape[-1]).t()
    top = sim.topk(2, dim=-1).values
    return float((top[:, 0] - top[:, 1]).min())


def check_gap(name, gap):
    assert gap > MIN_GAP, f"{name}: an argmax is nearly tied ({gap:.2e}); change the seed"


# MARK: VectorQuantize

def vq_case(name, masked=False, training=True):
    torch.manual_seed(seed_of("vq"))
    vq = VectorQuantize(dim=16, codebook_size=32, use_cosine_sim=True).train(training)
    state = copy.deepcopy(vq.state_dict())
    x = randn((2, 18, 16), "vq-x").requires_grad_(True)
    mask = None
    if masked:
        mask = torch.ones(2, 18, dtype=torch.bool)
        mask[0, 13:] = False
        mask[1, ::3] = False
    q, idx, loss = vq(x, mask=mask)
    loss = loss.reshape(())
    check_gap(name, cosine_gap(x.detach(), state["_codebook.embed"]))
    w = randn(q.shape, name + "-w")
    inputs = {"x": x, "grad_weight": w}
    if mask is not None:
        inputs["mask"] = mask
    outputs = {"quantized": q, "indices": idx.int(), "commit_loss": loss}
    if training:
        (gx,) = torch.autograd.grad((q * w).sum() + loss, [x])
        outputs["grad_input:x"] = gx
    write(name, state, inputs, outputs, {
        "module": "vector_quantize_pytorch.VectorQuantize",
        "constructor_kwargs": {"dim": 16, "codebook_size": 32, "use_cosine_sim": True},
        "mode": "train" if training else "eval",
        "call": "quantized, indices, commit_loss = vq(x" + (", mask=mask)" if masked else ")"),
        "loss": "(quantized * grad_weight).sum() + commit_loss" if training else None,
        "weights": "state_dict before the forward (the training forward updates the codebook by EMA)",
        "min_top2_cosine_gap": cosine_gap(x.detach(), state["_codebook.embed"]),
    })
    print(f"{name}: commit {float(loss):.6g}")


def vq_ema_case(name):
    torch.manual_seed(seed_of("vq"))
    vq = VectorQuantize(dim=16, codebook_size=32, use_cosine_sim=True).train()
    state = copy.deepcopy(vq.state_dict())
    x1, x2 = randn((2, 18, 16), "vq-ema-x1"), randn((2, 18, 16), "vq-ema-x2b")
    mask1 = torch.ones(2, 18, dtype=torch.bool)
    mask1[0, 11:] = False
    mask1[1, 1::4] = False
    inputs = {"x1": x1, "mask1": mask1, "x2": x2}
    outputs, gaps = {}, []
    with torch.no_grad():
        for i, (x, mask) in enumerate([(x1, mask1), (x2, None)], start=1):
            gaps.append(cosine_gap(x, vq._codebook.embed))
            check_gap(f"{name} forward {i}", gaps[-1])
            q, idx, loss = vq(x, mask=mask)
            outputs.update({f"quantized_{i}": q, f"indices_{i}": idx.int(), f"commit_loss_{i}": loss.reshape(()),
                            # the buffers change in place: store copies
                            f"embed_{i}": vq._codebook.embed.clone(),
                            f"cluster_size_{i}": vq._codebook.cluster_size.clone(),
                            f"embed_avg_{i}": vq._codebook.embed_avg.clone()})
    write(name, state, inputs, outputs, {
        "module": "vector_quantize_pytorch.VectorQuantize",
        "constructor_kwargs": {"dim": 16, "codebook_size": 32, "use_cosine_sim": True},
        "mode": "train",
        "call": "vq(x1, mask=mask1); vq(x2): the buffers _codebook.{embed, cluster_size, embed_avg} after each",
        "weights": "state_dict before the first forward (the fresh codebook: cluster_size 0, embed_avg = embed)",
        "min_top2_cosine_gap": min(gaps),
    })
    hit = int((outputs["cluster_size_2"] > 0).sum())
    print(f"{name}: {hit} of 32 codes hit, commit {float(outputs['commit_loss_2']):.6g}")


# MARK: FSQ

def fsq_case(name, levels, dim):
    torch.manual_seed(seed_of(name))
    fsq = FSQ(levels=levels, dim=dim)
    x = (2 * randn((2, 18, dim), name + "-x")).requires_grad_(True)
    q, idx = fsq(x)
    w = randn(q.shape, name + "-w")
    params = dict(fsq.named_parameters())
    keys = sorted(params)
    grads = torch.autograd.grad((q * w).sum(), [params[k] for k in keys] + [x])
    outputs = {"quantized": q, "indices": idx.int(),
               "codes": fsq.indices_to_codes(idx, project_out=False)}
    for k, g in zip(keys, grads[:-1]):
        outputs["grad:" + k] = g
    outputs["grad_input:x"] = grads[-1]
    # the distance of every bounded value from a rounding tie, so a reader knows ids are robust
    with torch.no_grad():
        z = fsq.project_in(x)
        b = fsq.bound(z)
        tie_gap = float(((b - b.floor()) - 0.5).abs().min())
    assert tie_gap > 1e-4, f"{name}: a value is nearly tied between two levels; change the seed"
    write(name, {k: params[k] for k in keys}, {"x": x, "grad_weight": w}, outputs, {
        "module": "vector_quantize_pytorch.FSQ",
        "constructor_kwargs": {"levels": levels, "dim": dim},
        "call": "quantized, indices = fsq(x); codes = fsq.indices_to_codes(indices, project_out=False)",
        "loss": "(quantized * grad_weight).sum()",
        "min_distance_to_rounding_tie": tie_gap,
    })
    print(f"{name}: codebook {fsq.codebook_size}, ids {idx.flatten()[:6].tolist()}...")


# MARK: CViViT

def build_cvivit(lfq):
    torch.manual_seed(seed_of("cvivit-q"))
    model = CViViT(**CTOR, lookup_free_quantization=lfq)
    g = torch.Generator().manual_seed(seed_of("cvivit-q-perturb"))
    with torch.no_grad():
        for key, p in model.named_parameters():
            if p.numel() > 1 and bool((p == p.flatten()[0]).all()):
                p.add_(0.1 * torch.randn(p.shape, generator=g))
    return model.train()


def forward_pieces(model, video, mask=None):
    """CViViT.forward step by step (use_vgg_and_gan=False), returning what it keeps internal."""
    is_image = video.ndim == 4
    if is_image:
        video = rearrange(video, 'b c h w -> b c 1 h w')
    first, rest = video[:, :, :1], video[:, :, 1:]
    tokens = torch.cat((model.to_patch_emb_first_frame(first), model.to_patch_emb(rest)), dim=1)
    *_, h, w, _ = tokens.shape
    tokens = model.encode(tokens)
    tokens, ps = pack([tokens], 'b * d')
    pre_quant = tokens.detach()
    kwargs = {}
    if mask is not None and not model.lookup_free_quantization:
        kwargs["mask"] = model.calculate_video_token_mask(video, mask)
    tokens, indices, aux = model.vq(tokens, **kwargs)
    indices, = unpack(indices, ps, 'b *')
    tokens = rearrange(tokens, 'b (t h w) d -> b t h w d', h=h, w=w)
    recon = model.decode(tokens)
    if mask is not None:
        loss = F.mse_loss(video, recon, reduction='none')[repeat(mask, 'b t -> b c t', c=video.shape[1])].mean()
    else:
        loss = F.mse_loss(video, recon)
    if is_image:
        recon = rearrange(recon, 'b c 1 h w -> b c h w')
    return recon, loss, aux.reshape(()), indices, pre_quant


def cvivit_case(name, lfq=False, mask=None, image=False, all_grads=False):
    model = build_cvivit(lfq)
    state = copy.deepcopy(model.state_dict())
    shape = (BATCH, 3, *CTOR["image_size"]) if image else (BATCH, 3, FRAMES, *CTOR["image_size"])
    input_name = "image" if image else "video"
    video = randn(shape, "cvivit-q-video" + ("-image" if image else "")).requires_grad_(True)
    recon, recon_loss, aux, indices, pre_quant = forward_pieces(model, video, mask)
    if not lfq:
        check_gap(name, cosine_gap(pre_quant, state["vq._codebook.embed"]))
    w = randn(recon.shape, name + "-w")
    loss = (recon * w).sum() + recon_loss + aux
    params = dict(model.named_parameters())
    keys = sorted(params) if all_grads else []
    grads = torch.autograd.grad(loss, [params[k] for k in keys] + [video], allow_unused=True)
    outputs = {"recon": recon, "recon_loss": recon_loss, "aux_loss": aux, "indices": indices.int()}
    # parameters the forward never reads (self-attention context_norm.gamma, zero-size null_kv)
    # get no gradient and are left out
    unused = [k for k, g in zip(keys, grads[:-1]) if g is None or g.numel() == 0]
    for k, g in zip(keys, grads[:-1]):
        if k not in unused:
            outputs["grad:" + k] = g
    outputs["grad_input:" + input_name] = grads[-1]

    # The module's own forward agrees (from the saved state: the EMA update moved the codebook).
    with torch.no_grad():
        model.load_state_dict(state)
        ids = model(video.detach(), return_only_codebook_ids=True)
        assert torch.equal(ids, indices)
        model.load_state_dict(state)
        fwd_loss, fwd_recon = model(video.detach(), mask=mask, return_recons=True)
        assert torch.allclose(fwd_recon, recon, atol=1e-6) and torch.allclose(fwd_loss, recon_loss, atol=1e-7)
        model.load_state_dict(state)
        if not image and mask is None:
            outputs["decoded"] = model.decode_from_codebook_indices(ids.flatten(1))
        if not image:
            # phenaki-pytorch 0.5.0's encoder is not causal: the temporal PEG reads the
            # ((b h w), t, d) buffer as (b, t, h, w, d), so later frames change earlier ids
            short = FRAMES - CTOR["temporal_patch_size"]
            model.load_state_dict(state)
            outputs["indices_short"] = model(video.detach()[:, :, :short], return_only_codebook_ids=True).int()
            model.load_state_dict(state)

    inputs = {input_name: video, "grad_weight": w}
    if mask is not None:
        inputs["video_frame_mask"] = mask
    weights = {k: v for k, v in state.items()}
    ctor = {k: list(v) if isinstance(v, tuple) else v for k, v in CTOR.items()}
    ctor["lookup_free_quantization"] = lfq
    write(name, weights, inputs, outputs, {
        "module": "phenaki_pytorch.cvivit.CViViT",
        "constructor_kwargs": ctor,
        "mode": "train (dropout 0)",
        "call": f"forward({input_name}" + (", mask=video_frame_mask" if mask is not None else "")
                + ") split into its steps and checked against the module's forward; indices = "
                  "cvivit(video, return_only_codebook_ids=True)"
                + ("; decoded = cvivit.decode_from_codebook_indices(indices.flatten(1))" if "decoded" in outputs else ""),
        "loss": "(recon * grad_weight).sum() + recon_loss + aux_loss",
        "weights": "the whole state_dict before the forward (buffers included)",
        "gradients": "every parameter and the input" if all_grads else "the input only",
        "unused_params": unused,
        "min_top2_cosine_gap": None if lfq else cosine_gap(pre_quant, state["vq._codebook.embed"]),
    })
    print(f"{name}: recon_loss {float(recon_loss):.6g}, aux {float(aux):.6g}")


def main():
    torch.set_num_threads(1)
    if OUT.exists():
        shutil.rmtree(OUT)
    vq_case("vq")
    vq_case("vq_mask", masked=True)
    vq_case("vq_eval", training=False)
    vq_ema_case("vq_ema")
    fsq_case("fsq", [8, 5, 5, 5], 16)
    fsq_case("fsq_noproj", [8, 6, 5], 3)
    mask = torch.ones(BATCH, FRAMES, dtype=torch.bool)
    mask[1, 3:] = False
    cvivit_case("cvivit_vq", all_grads=True)
    cvivit_case("cvivit_vq_mask", mask=mask)
    cvivit_case("cvivit_lfq_mask", lfq=True, mask=mask)
    cvivit_case("cvivit_image", image=True)
    total = sum(f.stat().st_size for f in OUT.rglob("*") if f.is_file())
    print(f"total {total} bytes")
    assert total < SIZE_LIMIT, f"fixtures too large: {total} bytes (budget {SIZE_LIMIT})"


if __name__ == "__main__":
    main()
