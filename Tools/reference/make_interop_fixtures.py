#!/usr/bin/env python3
"""Interop fixtures: what `phenaki cvivit|maskgit|critic ...` must reproduce from weights exported
out of phenaki-pytorch 0.5.0 (vector-quantize-pytorch 1.11.8), with a config no other test uses.

Writes Tests/Fixtures/interop/ the way a user would hand files to the command line:

  config.json            OUR config format (sections cvivit / maskgit / critic / phenaki)
  cvivit.safetensors     CViViT(use_vgg_and_gan=False).state_dict() saved as F16 (the int64 `vq.mask`
                         buffer and the zero `*.beta` buffers included, as `save_file(sd)` writes them)
  maskgit.safetensors    MaskGit.state_dict(), F32 (zero-size `null_kv` included)
  critic.safetensors     TokenCritic.state_dict(), F32
  video.npy              f32 [2, 3, 5, 24, 16]      image.npy  f32 [2, 3, 24, 16]
  decode_ids.npy         i32 [1, 2, 3, 4]           ids.npy    i64 [2, 3, 3, 4] (some = num_tokens, the mask id)
  text_embeds.npy        f32 [2, 6, 20], some rows all zero (masked, as Phenaki's text_mask)
  expected/*.npy         phenaki-pytorch's answers (eval mode), and expected.json (losses, notes)

The config: image 24 x 16 in 8 x 4 patches (a 3 x 4 grid), temporal patch 2, heads 3 x dim_head 16,
C-ViViT dim 16 with a 128-entry LFQ codebook (7 bits: project_in/out exist), MaskGit dim 32 depth 1
ff_mult 2, a separate TokenCritic dim 24, text embeddings 20 wide (dim_context != dim).

The answers are computed in float64 from the stored weights (for C-ViViT the F16-rounded ones) and
stored as float32 / int32, so they are the exact-arithmetic answer of the files a user has. Output
is byte-for-byte deterministic; the script refuses other package versions and a folder over budget.

  Tools/reference/.venv/bin/python Tools/reference/make_interop_fixtures.py
"""

import sys

sys.dont_write_bytecode = True

import json
import shutil
import warnings
import zlib
from importlib.metadata import version
from pathlib import Path

warnings.filterwarnings("ignore")

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

from phenaki_pytorch.cvivit import CViViT
from phenaki_pytorch.phenaki_pytorch import MaskGit, TokenCritic

REPO_ROOT = Path(__file__).resolve().parents[2]
OUT = REPO_ROOT / "Tests" / "Fixtures" / "interop"
SIZE_LIMIT = 500_000  # bytes, whole interop folder
PINNED = {"phenaki-pytorch": "0.5.0", "vector-quantize-pytorch": "1.11.8", "torch": "2.13.0+cpu"}

CODEBOOK = 128
TEXT_DIM = 20
CVIVIT = dict(dim=16, codebook_size=CODEBOOK, image_size=(24, 16), patch_size=(8, 4), temporal_patch_size=2,
              spatial_depth=1, temporal_depth=1, dim_head=16, heads=3, channels=3, use_vgg_and_gan=False)
MASKGIT = dict(dim=32, num_tokens=CODEBOOK, max_seq_len=48, depth=1, dim_context=TEXT_DIM, heads=3, dim_head=16,
               ff_mult=2)
CRITIC = dict(dim=24, num_tokens=CODEBOOK, max_seq_len=48, depth=1, has_cross_attn=True, dim_context=TEXT_DIM,
              heads=3, dim_head=16)
CONFIG = {
    "cvivit": {k: list(v) if isinstance(v, tuple) else v for k, v in CVIVIT.items()},
    "maskgit": MASKGIT,
    "critic": CRITIC,
    "phenaki": {"text_encoder": "precomputed", "text_embed_dim": TEXT_DIM, "max_text_len": 8},
}
BATCH, FRAMES = 2, 5
GRID = (3, 4)  # (24 / 8, 16 / 4)


def seed_of(name):
    return zlib.crc32(name.encode()) % 1_000_000


def gen(name):
    return torch.Generator().manual_seed(seed_of(name))


def perturb_constants(model, name):
    """LayerNorm gammas, q/k scales, nn.LayerNorm weights and biases start constant; perturb them so
    the files exercise them."""
    g = gen(name + "-perturb")
    with torch.no_grad():
        for _, p in sorted(model.named_parameters()):
            if p.numel() > 1 and bool((p == p.flatten()[0]).all()):
                p.add_(0.1 * torch.randn(p.shape, generator=g))


def lift_position_bias(module):
    """ContinuousPositionBias hard-codes `rel_pos.float()`; lift it back to float64."""
    module.net[0].register_forward_pre_hook(lambda _m, args: tuple(a.double() for a in args))


def save_npy(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, np.ascontiguousarray(array))


def f32(t):
    return t.detach().double().float().numpy()


def i32(t):
    return t.detach().to(torch.int32).numpy()


def build(cls, kwargs, name):
    torch.manual_seed(seed_of(name))
    model = cls(**kwargs)
    perturb_constants(model, name)
    return model.eval()


def float64_copy(cls, kwargs, state_dict):
    model = cls(**kwargs)
    model.load_state_dict(state_dict)
    return model.double().eval()


def cvivit_case(expected):
    model = build(CViViT, CVIVIT, "interop-cvivit")
    # What the user ships: the whole state_dict as F16 (integer buffers stay integers).
    sd = {k: (v.half() if v.is_floating_point() else v).contiguous() for k, v in model.state_dict().items()}
    save_file(sd, str(OUT / "cvivit.safetensors"))
    rounded = {k: (v.float() if v.is_floating_point() else v) for k, v in sd.items()}
    ref = float64_copy(CViViT, CVIVIT, rounded)
    lift_position_bias(ref.spatial_rel_pos_bias)
    model.load_state_dict(rounded)  # the float32 run, for the record

    video32 = torch.randn((BATCH, 3, FRAMES, *CVIVIT["image_size"]), generator=gen("interop-video"))
    image32 = torch.randn((BATCH, 3, *CVIVIT["image_size"]), generator=gen("interop-image"))
    decode_ids = torch.randint(0, CODEBOOK, (1, 2, *GRID), generator=gen("interop-decode-ids"))
    save_npy(OUT / "video.npy", video32.numpy())
    save_npy(OUT / "image.npy", image32.numpy())
    save_npy(OUT / "decode_ids.npy", i32(decode_ids))

    notes = {}
    with torch.no_grad():
        for label, x32 in (("video", video32), ("image", image32)):
            x = x32.double()
            ids = ref(x, return_only_codebook_ids=True)
            recon_loss, recon = ref(x, return_recons=True)
            # eval mode: LFQ returns a zero aux loss (no entropy, no commitment terms)
            _, _, aux = ref.vq(torch.randn(1, 4, CVIVIT["dim"], dtype=torch.float64))
            ids32 = model(x32, return_only_codebook_ids=True)
            save_npy(OUT / "expected" / f"{label}_ids.npy", i32(ids))
            save_npy(OUT / "expected" / f"{label}_recon.npy", f32(recon))
            expected[f"{label}_recon_loss"] = float(recon_loss)
            expected[f"{label}_aux_loss"] = float(aux)
            notes[f"{label}_ids_float32_equal_fraction"] = float((ids32 == ids).double().mean())
            print(f"cvivit {label}: ids {list(ids.shape)}, recon {list(recon.shape)}, "
                  f"recon_loss {float(recon_loss):.6g}, aux {float(aux)}")
        decoded = ref.decode_from_codebook_indices(decode_ids.flatten(1))
        save_npy(OUT / "expected" / "decoded.npy", f32(decoded))
        print(f"cvivit decode: {list(decoded.shape)}")
    expected["cvivit_notes"] = notes


def token_ids():
    ids = torch.randint(0, CODEBOOK, (BATCH, FRAMES // 2 + 1, *GRID), generator=gen("interop-ids"))
    ids[0, 0, 1, 2] = CODEBOOK  # the mask id
    ids[1, 2, 0, 0] = CODEBOOK
    ids[1, 1, 2, 3] = CODEBOOK
    return ids


def text_embeds():
    text = torch.randn((BATCH, 6, TEXT_DIM), generator=gen("interop-text"))
    text[0, 4:] = 0  # padding: masked (Phenaki's text_mask = any(text_embeds != 0, dim=-1))
    text[1, 2] = 0
    text[1, 5] = 0
    return text


def transformer_case(cls, kwargs, name, call, expected):
    model = build(cls, kwargs, "interop-" + name)
    sd = {k: v.contiguous() for k, v in model.state_dict().items()}
    assert all(v.dtype == torch.float32 for v in sd.values())
    save_file(sd, str(OUT / f"{name}.safetensors"))
    ref = float64_copy(cls, kwargs, sd)
    if hasattr(ref, "continuous_pos_bias"):
        lift_position_bias(ref.continuous_pos_bias)
    ids, text = token_ids(), text_embeds()
    text_mask = torch.any(text != 0, dim=-1)
    with torch.no_grad():
        logits = call(ref, ids, text.double(), text_mask)
        logits32 = call(model, ids, text, text_mask)
    save_npy(OUT / "expected" / f"{name}_logits.npy", f32(logits))
    expected[f"{name}_float32_max_abs_diff"] = float((logits32.double() - logits).abs().max())
    print(f"{name}: logits {list(logits.shape)}")
    return ref, ids, text


def main():
    for name, want in PINNED.items():
        have = version(name) if name != "torch" else torch.__version__
        if have != want:
            sys.exit(f"{name} {have} is installed, the fixtures are pinned to {want}: run Tools/reference/setup.sh")
    torch.set_num_threads(1)
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    (OUT / "config.json").write_text(json.dumps(CONFIG, indent=2) + "\n")

    expected = {}
    cvivit_case(expected)
    transformer_case(MaskGit, MASKGIT, "maskgit",
                     lambda m, ids, text, mask: m(ids, context=text, text_mask=mask), expected)
    critic, ids, text = transformer_case(
        TokenCritic, CRITIC, "critic",
        lambda m, ids, text, mask: m(ids, context=text, text_mask=mask, cond_drop_prob=0.), expected)
    with torch.no_grad():
        # Without --text-embeds: no context, so the cross attention is skipped (as phenaki-pytorch does).
        save_npy(OUT / "expected" / "critic_logits_no_text.npy", f32(critic(ids, cond_drop_prob=0.)))
    save_npy(OUT / "ids.npy", ids.numpy())  # int64, as torch makes them
    save_npy(OUT / "text_embeds.npy", text.numpy())

    expected["mode"] = "eval (.eval(): dropout off, LFQ without straight-through or aux losses)"
    expected["versions"] = {name: (version(name) if name != "torch" else torch.__version__) for name in PINNED}
    (OUT / "expected" / "expected.json").write_text(json.dumps(expected, indent=2, sort_keys=True) + "\n")

    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"total {total / 1024:.1f} KiB in {OUT}")
    if total > SIZE_LIMIT:
        sys.exit(f"fixtures are {total} bytes, over the {SIZE_LIMIT} byte budget")


if __name__ == "__main__":
    main()
