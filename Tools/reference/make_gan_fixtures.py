#!/usr/bin/env python3
"""Parity fixtures for phenaki-pytorch 0.5.0's C-ViViT GAN pieces (cvivit.py): the Discriminator,
the hinge/BCE losses, the gradient penalty, a torchvision-layout VGG-16 and the generator loss
with its adaptive weight.

Everything is computed in float64 (weights drawn in float32, then lifted) and stored as float32.
Cases under Tests/Fixtures/gan/:

  discriminator  Discriminator(dim=1, image_size=(16, 24), channels=3, attn_res_layers=(16,)) on
                 real, fake [2, 3, 16, 24]: logits, hinge_discr_loss, gradient_penalty(real, D(real)),
                 loss = hinge_discr_loss + gradient_penalty (as CViViT.forward(return_discr_loss=True)),
                 bce_discr_loss, hinge_gen_loss / bce_gen_loss of D(fake), and grad:discr.<key> of loss
                 (second order through the penalty). Keys carry CViViT's `discr.` prefix.
  vgg            a narrow VGG-16 (torchvision's vgg16 layout and indices, widths 2, 2, 4, 4, 4,
                 classifier 8, classifier[:-2] as phenaki-pytorch keeps it, eval mode) on x
                 [1, 3, 40, 72]: y [1, 8], grad:<key> and grad_input:x of L = (y * grad_weight).sum().
  generator      CViViT(dim 16, codebook 64, image (32, 32), patch 8, temporal patch 2, depth 1/1,
                 heads 2, dim_head 8, discr_base_dim 1, discr_attn_res_layers () (attention is covered
                 above), vgg = the narrow VGG, He-initialised) in training mode on video [2, 3, 3, 32, 32] with recorded frame logits:
                 recon_loss, aux_loss, perceptual_loss, gen_loss, adaptive_weight and loss, checked
                 against cvivit(video) (torch.randn patched to return the recorded frame logits);
                 also the gradient norms at to_pixels.0.weight of gen_loss, perceptual_loss and
                 recon_loss (the last is what the Swift graph uses when no VGG weights are given).

cvivit.py 0.5.0's BCE losses call an undefined `log`; the script binds phenaki_pytorch.py's
`log(t, eps=1e-10) = torch.log(t + eps)` into cvivit's namespace first.

  Tools/reference/.venv/bin/python Tools/reference/make_gan_fixtures.py
"""

import sys

sys.dont_write_bytecode = True

import contextlib
import json
import shutil
import warnings
import zlib
from pathlib import Path

warnings.filterwarnings("ignore")

import torch
import torch.nn.functional as F
from torch import nn
from einops import pack, unpack, rearrange
from safetensors.torch import save_file

import phenaki_pytorch.cvivit as cv
from phenaki_pytorch.phenaki_pytorch import log as phenaki_log

cv.log = phenaki_log

REPO_ROOT = Path(__file__).resolve().parents[2]
OUT = REPO_ROOT / "Tests" / "Fixtures" / "gan"
SIZE_LIMIT = 700_000

DISCR = dict(dim=1, image_size=(16, 24), channels=3, attn_res_layers=(16,))
VGG_WIDTHS, VGG_CLASSIFIER = (2, 2, 4, 4, 4), 8
CVIVIT = dict(dim=16, codebook_size=64, image_size=(32, 32), patch_size=8, temporal_patch_size=2,
              spatial_depth=1, temporal_depth=1, dim_head=8, heads=2, discr_base_dim=1,
              discr_attn_res_layers=())
BATCH, FRAMES = 2, 3


def seed_of(name):
    return zlib.crc32(name.encode()) % 1_000_000


def f32(t):
    return t.detach().float().contiguous()


def jsonable(d):
    return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}


def write(name, weights, inputs, outputs, config):
    out = OUT / name
    out.mkdir(parents=True, exist_ok=True)
    keep = lambda v: v.contiguous() if v.dtype == torch.int32 else f32(v)
    save_file({k: f32(v) for k, v in weights.items()}, str(out / "weights.safetensors"))
    save_file({k: keep(v) for k, v in inputs.items()}, str(out / "inputs.safetensors"))
    save_file({k: keep(v) for k, v in outputs.items()}, str(out / "outputs.safetensors"))
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")


def perturb_constants(module, name):
    """LayerNorm gammas and q/k scales start as constants; perturb them so the fixture sees them."""
    g = torch.Generator().manual_seed(seed_of(name + "-perturb"))
    with torch.no_grad():
        for _, p in module.named_parameters():
            if p.numel() > 1 and bool((p == p.flatten()[0]).all()):
                p.add_(0.1 * torch.randn(p.shape, generator=g))


def narrow_vgg16():
    """torchvision.models.vgg16's layout (cfg 'D') with narrow widths, classifier[:-2]."""
    layers, c = [], 3
    for stage, depth in enumerate((2, 2, 3, 3, 3)):
        for _ in range(depth):
            layers += [nn.Conv2d(c, VGG_WIDTHS[stage], 3, padding=1), nn.ReLU(inplace=True)]
            c = VGG_WIDTHS[stage]
        layers.append(nn.MaxPool2d(2, 2))
    vgg = nn.Module()
    vgg.features = nn.Sequential(*layers)
    vgg.avgpool = nn.AdaptiveAvgPool2d((7, 7))
    vgg.classifier = nn.Sequential(nn.Linear(c * 49, VGG_CLASSIFIER), nn.ReLU(True), nn.Dropout(),
                                   nn.Linear(VGG_CLASSIFIER, VGG_CLASSIFIER), nn.ReLU(True))
    vgg.forward = lambda x: vgg.classifier(torch.flatten(vgg.avgpool(vgg.features(x)), 1))
    return vgg


def he_init(vgg, name):
    """PyTorch's default init shrinks the signal through 15 narrow layers until the features of
    two images barely differ (a perceptual loss ~1e-11, an adaptive weight ~0); He-normal
    weights and small positive biases keep them apart."""
    g = torch.Generator().manual_seed(seed_of(name + "-vgg-init"))
    with torch.no_grad():
        for key, p in vgg.named_parameters():
            if key.endswith("weight"):
                p.copy_(torch.randn(p.shape, generator=g) * (2 / p[0].numel()) ** 0.5)
            else:
                p.copy_(0.05 * torch.rand(p.shape, generator=g))


def discriminator_case():
    torch.manual_seed(seed_of("discriminator"))
    discr = cv.Discriminator(**DISCR)
    perturb_constants(discr, "discriminator")
    sd32 = {k: v.clone() for k, v in discr.state_dict().items()}
    discr = discr.double()
    gen = torch.Generator().manual_seed(seed_of("discriminator-x"))
    shape = (2, DISCR["channels"], *DISCR["image_size"])
    real = torch.randn(shape, generator=gen).double().requires_grad_(True)
    fake = torch.randn(shape, generator=gen).double()
    real_logits, fake_logits = discr(real), discr(fake)
    hinge = cv.hinge_discr_loss(fake_logits, real_logits)
    gp = cv.gradient_penalty(real, real_logits)
    loss = hinge + gp
    params = dict(discr.named_parameters())
    keys = sorted(k for k, p in params.items() if p.numel() > 0)
    grads = torch.autograd.grad(loss, [params[k] for k in keys], allow_unused=True)
    outputs = {"real_logits": real_logits, "fake_logits": fake_logits, "hinge_discr_loss": hinge,
               "gradient_penalty": gp, "loss": loss,
               "bce_discr_loss": cv.bce_discr_loss(fake_logits, real_logits),
               "hinge_gen_loss": cv.hinge_gen_loss(fake_logits), "bce_gen_loss": cv.bce_gen_loss(fake_logits)}
    unused = []
    for k, g in zip(keys, grads):
        if g is None:
            unused.append("discr." + k)
            g = torch.zeros_like(params[k])
        outputs["grad:discr." + k] = g
    weights = {"discr." + k: v for k, v in sd32.items() if v.is_floating_point() and v.numel() > 0}
    config = {
        "module": "phenaki_pytorch.cvivit.Discriminator",
        "constructor_kwargs": jsonable(DISCR),
        "call": "real_logits, fake_logits = discr(real), discr(fake); "
                "loss = hinge_discr_loss(fake_logits, real_logits) + gradient_penalty(real, real_logits)",
        "precision": "float64 reference, stored as float32",
        "weights_prefix": "discr.",
        "unused_params": unused,
        "notes": ["bce losses use phenaki_pytorch.py's log(t, eps=1e-10) (cvivit.py 0.5.0 never defines log)",
                  "zero-size null_kv and the norm.beta buffers are not stored"],
    }
    write("discriminator", weights, {"real": real, "fake": fake}, outputs, config)
    print(f"discriminator: hinge {float(hinge):.6g}, gp {float(gp):.6g}")


def vgg_case():
    torch.manual_seed(seed_of("vgg"))
    vgg = narrow_vgg16().eval()
    he_init(vgg, "vgg")
    sd32 = {k: v.clone() for k, v in vgg.state_dict().items()}
    vgg = vgg.double()
    x = torch.randn((1, 3, 40, 72), generator=torch.Generator().manual_seed(seed_of("vgg-x")))
    x = x.double().requires_grad_(True)
    y = vgg(x)
    w = torch.randn(y.shape, generator=torch.Generator().manual_seed(seed_of("vgg-w"))).double()
    params = dict(vgg.named_parameters())
    keys = sorted(params)
    grads = torch.autograd.grad((y * w).sum(), [params[k] for k in keys] + [x])
    outputs = {"y": y, "grad_input:x": grads[-1]}
    outputs.update({"grad:" + k: g for k, g in zip(keys, grads[:-1])})
    config = {
        "module": "torchvision.models.vgg16 layout (narrow, He-initialised), classifier[:-2]",
        "constructor_kwargs": {"widths": list(VGG_WIDTHS), "classifier_width": VGG_CLASSIFIER},
        "call": "y = vgg.classifier(flatten(vgg.avgpool(vgg.features(x)), 1)); L = (y * grad_weight).sum()",
        "mode": "eval (dropout off)",
        "precision": "float64 reference, stored as float32",
    }
    write("vgg", sd32, {"x": x, "grad_weight": w}, outputs, config)
    print(f"vgg: y {list(y.shape)}")


@contextlib.contextmanager
def randn_returning(logits):
    """CViViT.forward draws pick_frame_logits = torch.randn(b, f); hand it recorded logits."""
    original = torch.randn

    def patched(*args, **kwargs):
        if tuple(args) == tuple(logits.shape) and not kwargs:
            return logits.clone()
        return original(*args, **kwargs)

    torch.randn = patched
    try:
        yield
    finally:
        torch.randn = original


def generator_case():
    torch.manual_seed(seed_of("generator"))
    vgg = narrow_vgg16()
    he_init(vgg, "generator")
    model = cv.CViViT(**CVIVIT, vgg=vgg)
    perturb_constants(model, "generator")
    model.train()
    weights = {k: v.clone() for k, v in model.named_parameters() if v.numel() > 0}
    model = model.double()
    model.vgg.eval()  # dropout off: the Swift graph is deterministic
    # ContinuousPositionBias hard-codes `rel_pos.float()`; lift it back to float64
    model.spatial_rel_pos_bias.net[0].register_forward_pre_hook(lambda _m, args: tuple(a.double() for a in args))
    gen = torch.Generator().manual_seed(seed_of("generator-video"))
    video = torch.randn((BATCH, 3, FRAMES, *CVIVIT["image_size"]), generator=gen).double()
    for attempt in range(100):  # deterministic; the videos should look at different frames
        frame_logits = torch.randn((BATCH, FRAMES), generator=gen).double()
        if len(set(frame_logits.argmax(-1).tolist())) == BATCH:
            break
    frame_indices = frame_logits.topk(1, dim=-1).indices

    # CViViT.forward's VGG/GAN path, step by step
    first, rest = video[:, :, :1], video[:, :, 1:]
    tokens = torch.cat((model.to_patch_emb_first_frame(first), model.to_patch_emb(rest)), dim=1)
    *_, h, w, _ = tokens.shape
    tokens, ps = pack([model.encode(tokens)], 'b * d')
    tokens, _, aux = model.vq(tokens)
    recon = model.decode(rearrange(tokens, 'b (t h w) d -> b t h w d', h=h, w=w))
    recon_loss = F.mse_loss(video, recon)
    real_frame, recon_frame = cv.pick_video_frame(video, frame_indices), cv.pick_video_frame(recon, frame_indices)
    perceptual = F.mse_loss(model.vgg(real_frame), model.vgg(recon_frame))
    gen_loss = model.gen_loss(model.discr(recon_frame))
    last = model.to_pixels[0].weight
    norm_gen = cv.grad_layer_wrt_loss(gen_loss, last).norm(p=2)
    norm_perceptual = cv.grad_layer_wrt_loss(perceptual, last).norm(p=2)
    # not phenaki-pytorch's: the Swift graph's numerator when no VGG weights are given
    norm_recon = cv.grad_layer_wrt_loss(recon_loss, last).norm(p=2)
    adaptive_weight = cv.safe_div(norm_perceptual, norm_gen).clamp(max=1e4)
    loss = recon_loss + perceptual + aux + adaptive_weight * gen_loss

    with randn_returning(frame_logits):
        forward_loss = model(video)
    assert torch.allclose(forward_loss, loss, rtol=1e-12, atol=0), (float(forward_loss), float(loss))

    outputs = {"recon_loss": recon_loss, "aux_loss": aux, "perceptual_loss": perceptual, "gen_loss": gen_loss,
               "adaptive_weight": adaptive_weight, "loss": loss, "norm_grad_wrt_gen_loss": norm_gen,
               "norm_grad_wrt_perceptual_loss": norm_perceptual, "norm_grad_wrt_recon_loss": norm_recon}
    config = {
        "module": "phenaki_pytorch.cvivit.CViViT",
        "constructor_kwargs": jsonable(CVIVIT),
        "vgg": {"widths": list(VGG_WIDTHS), "classifier_width": VGG_CLASSIFIER},
        "mode": "train (dropout 0; LFQ aux losses on); the VGG in eval mode (its dropout off)",
        "precision": "float64 reference, stored as float32",
        "call": "loss = cvivit(video) with torch.randn(b, f) returning frame_logits; frame_indices = "
                "frame_logits.topk(1).indices; the pieces are recomputed step by step and their sum "
                "asserted equal to the forward's loss",
    }
    write("generator", weights, {"video": video, "frame_indices": frame_indices.flatten().int()}, outputs, config)
    print(f"generator: loss {float(loss):.6g}, adaptive weight {float(adaptive_weight):.6g}, "
          f"frames {frame_indices.flatten().tolist()}")


def main():
    torch.set_num_threads(1)
    if OUT.exists():
        shutil.rmtree(OUT)
    discriminator_case()
    vgg_case()
    generator_case()
    total = sum(f.stat().st_size for f in OUT.rglob("*") if f.is_file())
    print(f"total {total} bytes")
    assert total < SIZE_LIMIT, f"fixtures too large: {total}"


if __name__ == "__main__":
    main()
