#!/usr/bin/env python3
"""Parity fixtures for phenaki-pytorch 0.5.0's sampler, `Phenaki.sample`.

Tiny, seeded `Phenaki` instances (C-ViViT 8x8 pixels, patch 4, temporal patch 2:
4 tokens per token frame; MaskGit dim 16, 32 tokens) sample in eval mode.
Written into Tests/Fixtures/sampling/<case>/:

  config.json      `phenaki_config` (this package's PhenakiConfig JSON for the same
                   model), `sample` (the keyword arguments of Phenaki.sample), the
                   reference versions and seeds
  weights          the Phenaki state_dict as float32 (`cvivit.*` only where the
                   case decodes or primes; without the `critic.maskgit.*` aliases a
                   self critic adds)
  inputs           `text_embeds` f32 [b, m, 24] (all-zero rows are padding:
                   text_mask = any(text_embeds != 0)), `prime_frames` f32
                   [b, 3, f, 8, 8] (primed case), and the draws:
                   `gumbel_uniform` f32 [steps, b, g, 32] (gumbel_noise's uniform_ of
                   each step) and `critic_uniform` f32 [steps - 1, b, g] (the critic
                   noise's uniform_, none at the last step)
  outputs          `ids` int32 [b, g] (the generated codebook ids, without the
                   prime's), `prime_ids` int32 [b, p] (primed case), `video`
                   f32 [b, 3, frames, 8, 8] where the case decodes

Random draws are recorded, not replaced: while Phenaki.sample runs, Tensor.uniform_
is wrapped by a recorder that calls the original and keeps a copy; their order and
shapes are checked. Texts go in as embeddings: `encode_texts` is replaced by a
function returning the case's `text_embeds`.

A seed (searching upwards from crc32(case)) is taken only when no decision is
borderline, so float32 rounding differences cannot flip one: at every step the
gumbel argmax leads its runner-up by at least 1e-4 in logit units
(argmax(t / T + g) = argmax(t + T g)), and the k-th re-mask score leads the
(k+1)-th by at least 1e-5.

Run with the venv from Tools/reference/setup.sh:

  Tools/reference/.venv/bin/python Tools/reference/make_sampling_fixtures.py
"""

import sys

sys.dont_write_bytecode = True

import argparse
import json
import shutil
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

import make_block_fixtures as blocks  # noqa: E402
from make_block_fixtures import gen, randn, perturb_constant_params, tensor_info  # noqa: E402
import phenaki_pytorch.phenaki_pytorch as reference  # noqa: E402
from phenaki_pytorch.phenaki_pytorch import MaskGit, Phenaki, TokenCritic  # noqa: E402
from phenaki_pytorch.cvivit import CViViT  # noqa: E402

DEFAULT_OUT = blocks.REPO_ROOT / "Tests" / "Fixtures" / "sampling"
SIZE_LIMIT = 300_000  # bytes, whole sampling folder

NUM_TOKENS = 32
TEXT_DIM = 24
M = 5
CVIVIT = dict(dim=16, codebook_size=NUM_TOKENS, image_size=8, patch_size=4, temporal_patch_size=2, spatial_depth=1,
              temporal_depth=1, dim_head=8, heads=2, use_vgg_and_gan=False)
MASKGIT = dict(dim=16, num_tokens=NUM_TOKENS, max_seq_len=24, depth=1, dim_head=8, heads=2, ff_mult=2,
               dim_context=TEXT_DIM, gradient_shrink_alpha=0.1)
TOKEN_CRITIC = dict(dim=16, num_tokens=NUM_TOKENS, max_seq_len=24, depth=1, dim_head=8, heads=2, ff_mult=2,
                    dim_context=TEXT_DIM, has_cross_attn=True)

CASES = [
    dict(name="sample_token_critic", batch=2, unconditional=False, critic="token", frames=5, prime=0,
         phenaki=dict(steps=18, critic_noise_anneal_schedule="decay"),
         sample=dict(cond_scale=3.0, starting_temperature=0.9, noise_K=1.0), decode=False,
         checks="18 steps, cosine re-mask, annealed gumbel sampling, TokenCritic scores with decayed noise, "
                "classifier-free guidance cond_scale 3, text padding rows masked"),
    dict(name="sample_primed", batch=1, unconditional=False, critic="none", frames=4, prime=3,
         phenaki=dict(steps=8),
         sample=dict(cond_scale=2.0, starting_temperature=1.0, noise_K=1.0), decode=True,
         checks="priming: C-ViViT ids of 3 frames prepended and never re-masked, 4 new frames, confidence "
                "1 - p(sampled), cond_scale 2, decode_from_codebook_indices without the prime frames"),
    dict(name="sample_self_critic_unconditional", batch=2, unconditional=True, critic="self", frames=3, prime=0,
         phenaki=dict(steps=6, critic_noise_anneal_schedule="increase"),
         sample=dict(cond_scale=1.0, starting_temperature=0.7, noise_K=0.5), decode=False,
         checks="unconditional MaskGit with the self critic, increasing critic noise, noise_K 0.5"),
]


class Recorder:
    """Wraps Tensor.uniform_, gumbel_sample and Tensor.topk; records draws and decision margins."""

    def __init__(self):
        self.draws = []
        self.margins = []

    @contextmanager
    def active(self):
        originals = (torch.Tensor.uniform_, reference.gumbel_sample, torch.Tensor.topk)
        rec = self

        def uniform_(self, *args, **kwargs):
            out = originals[0](self, *args, **kwargs)
            rec.draws.append(out.detach().clone())
            return out

        def gumbel_sample(t, temperature=1., dim=-1):
            out = originals[1](t, temperature=temperature, dim=dim)
            u = rec.draws[-1]
            g = -torch.log(-torch.log(u + 1e-10) + 1e-10)
            top2 = (t + max(temperature, 1e-10) * g).topk(2, dim=-1).values
            rec.margins.append(("gumbel", float((top2[..., 0] - top2[..., 1]).min())))
            return out

        def topk(self, k, *args, **kwargs):
            out = originals[2](self, k, *args, **kwargs)
            if k < self.shape[-1]:
                values = originals[2](self, k + 1, *args, **kwargs).values
                rec.margins.append(("topk", float((values[..., k - 1] - values[..., k]).min())))
            return out

        torch.Tensor.uniform_, reference.gumbel_sample, torch.Tensor.topk = uniform_, gumbel_sample, topk
        try:
            yield
        finally:
            torch.Tensor.uniform_, reference.gumbel_sample, torch.Tensor.topk = originals


def build(case, seed):
    torch.manual_seed(seed)
    cvivit = CViViT(**CVIVIT)
    maskgit = MaskGit(**(dict(MASKGIT, unconditional=True) if case["unconditional"] else MASKGIT))
    critic = TokenCritic(**TOKEN_CRITIC) if case["critic"] == "token" else None
    model = Phenaki(maskgit=maskgit, cvivit=cvivit, critic=critic, self_token_critic=case["critic"] == "self",
                    text_embed_dim=TEXT_DIM, max_text_len=M, **case["phenaki"])
    perturbed = perturb_constant_params(model, seed + 500)
    return model.eval(), perturbed


def text_embeds(seed, b):
    t = randn(gen(seed), b, M, TEXT_DIM)
    t[0, 3:] = 0  # padding: text_mask = any(text_embeds != 0)
    if b > 1:
        t[1, 1] = 0
    return t


def our_config(case):
    """This package's PhenakiConfig JSON for the case's model."""
    c = dict(CVIVIT)
    c["channels"] = 3
    maskgit = {k: v for k, v in MASKGIT.items()}
    if case["unconditional"]:
        maskgit["unconditional"] = True
    config = {"cvivit": c, "maskgit": maskgit,
              "phenaki": dict(case["phenaki"], text_encoder="precomputed", text_embed_dim=TEXT_DIM, max_text_len=M,
                              self_token_critic=case["critic"] == "self")}
    if case["critic"] == "token":
        config["critic"] = TOKEN_CRITIC
    return config


def run(model, case, data, seed):
    """One Phenaki.sample from torch.manual_seed(seed); returns the video and the recorder."""
    recorder = Recorder()
    torch.manual_seed(seed)
    with recorder.active():
        with torch.no_grad():
            video = model.sample(**data, **case["sample"])
    return video, recorder


def run_case(case, out_dir):
    base_seed = blocks.case_seed(case["name"])
    model, perturbed = build(case, base_seed)
    b, steps = case["batch"], case["phenaki"]["steps"]
    inputs = {}
    data = dict(num_frames=case["frames"])
    if case["unconditional"]:
        data["batch_size"] = b
    else:
        embeds = text_embeds(base_seed + 901, b)
        inputs["text_embeds"] = embeds
        model.encode_texts = lambda texts, output_device=None: embeds.clone()
        data["texts"] = [f"scene {i}" for i in range(b)]
    prime_ids = None
    if case["prime"]:
        prime = torch.rand((b, 3, case["prime"], 8, 8), generator=gen(base_seed + 902))
        inputs["prime_frames"] = prime
        data["prime_frames"] = prime
        with torch.no_grad():
            prime_ids = model.cvivit(prime, return_only_codebook_ids=True).reshape(b, -1)
    g = model.cvivit.num_tokens_per_frames(case["frames"], include_first_frame=not case["prime"])

    # The generated ids: decode_from_codebook_indices sees prime + generated ids.
    box = {}
    original_decode = model.cvivit.decode_from_codebook_indices

    def decode(ids):
        box["ids"] = ids.clone()
        return original_decode(ids)

    model.cvivit.decode_from_codebook_indices = decode
    for seed in range(base_seed, base_seed + 500):
        video, recorder = run(model, case, data, seed)
        worst = {kind: min([m for k, m in recorder.margins if k == kind], default=1.0) for kind in ("gumbel", "topk")}
        if worst["gumbel"] >= 1e-4 and worst["topk"] >= 1e-5:
            break
        print(f"  {case['name']}: seed {seed} skipped (margins {worst})")
    else:
        sys.exit(f"{case['name']}: no seed without borderline decisions")

    critic = case["critic"] != "none"
    want = []
    for step in range(steps):
        want.append((b, g, NUM_TOKENS))
        if critic and step < steps - 1:
            want.append((b, g))
    shapes = [tuple(d.shape) for d in recorder.draws]
    assert shapes == want, f"unexpected uniform_ draws {shapes}, expected {want}"
    gumbel = [d for d in recorder.draws if d.dim() == 3]
    inputs["gumbel_uniform"] = torch.stack(gumbel).contiguous()
    if critic:
        inputs["critic_uniform"] = torch.stack([d for d in recorder.draws if d.dim() == 2]).contiguous()

    outputs = {}
    all_ids = box["ids"]
    p = 0 if prime_ids is None else prime_ids.shape[1]
    outputs["ids"] = all_ids[:, p:].to(torch.int32).contiguous()
    if prime_ids is not None:
        assert torch.equal(all_ids[:, :p], prime_ids)
        outputs["prime_ids"] = prime_ids.to(torch.int32).contiguous()
    if case["decode"]:
        outputs["video"] = video.contiguous()

    keep_cvivit = case["decode"] or case["prime"]
    state = {k: v.detach().float().contiguous() for k, v in model.state_dict().items()
             if (keep_cvivit or not k.startswith("cvivit.")) and not k.startswith("critic.maskgit.")}
    case_dir = out_dir / case["name"]
    case_dir.mkdir(parents=True, exist_ok=True)
    meta = {"generator": f"Tools/reference/make_sampling_fixtures.py ({case['name']})"}
    save_file(state, str(case_dir / "weights.safetensors"), metadata=meta)
    save_file({k: v.contiguous() for k, v in inputs.items()}, str(case_dir / "inputs.safetensors"), metadata=meta)
    save_file(outputs, str(case_dir / "outputs.safetensors"), metadata=meta)
    config = {
        "case": case["name"],
        "checks": case["checks"],
        "reference": {"phenaki-pytorch": version("phenaki-pytorch"),
                      "vector-quantize-pytorch": version("vector-quantize-pytorch"), "torch": torch.__version__},
        "call": "phenaki.sample(num_frames=..., texts=..., prime_frames=..., batch_size=..., **sample)",
        "phenaki_config": our_config(case),
        "critic": case["critic"],
        "frames": case["frames"],
        "prime_frames": case["prime"],
        "batch": b,
        "sample": case["sample"],
        "seed": {"build": base_seed, "perturb_constant_params": base_seed + 500, "text": base_seed + 901,
                 "prime": base_seed + 902, "sample (torch.manual_seed)": seed},
        "margins": worst,
        "perturbed_params": perturbed,
        "inputs": {k: tensor_info(v) for k, v in inputs.items()},
        "outputs": {k: tensor_info(v) for k, v in outputs.items()},
    }
    (case_dir / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    size = sum(f.stat().st_size for f in case_dir.iterdir())
    print(f"{case['name']:<34} seed {seed} margins {worst} {size / 1024:.1f} KiB")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    opts = parser.parse_args()
    for name, want in blocks.PINNED.items():
        if version(name) != want:
            sys.exit(f"{name} {version(name)} is installed, the fixtures are pinned to {want}")
    torch.set_num_threads(1)
    if opts.out.exists():
        shutil.rmtree(opts.out)
    opts.out.mkdir(parents=True)
    for case in CASES:
        run_case(case, opts.out)
    total = sum(f.stat().st_size for f in opts.out.rglob("*") if f.is_file())
    print(f"total {total / 1024:.1f} KiB in {opts.out}")
    if total > SIZE_LIMIT:
        sys.exit(f"fixtures are {total} bytes, over the {SIZE_LIMIT} byte budget")


if __name__ == "__main__":
    main()
