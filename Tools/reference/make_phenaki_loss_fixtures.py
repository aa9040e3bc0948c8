#!/usr/bin/env python3
"""Parity fixtures for phenaki-pytorch 0.5.0's training loss, `Phenaki.forward`.

Tiny, seeded `Phenaki` instances (MaskGit dim 16, 32 tokens, 12-token videos,
batch 2) are trained one step's worth: `Phenaki.forward(video_codebook_ids=...)`
or, for the video-mask case, `Phenaki.forward(videos, video_frame_mask=...)`.
Written into Tests/Fixtures/phenaki/<case>/ in the layout of
make_block_fixtures.py (weights / inputs / outputs .safetensors, config.json):

  weights   the Phenaki state_dict without `cvivit.*` (the loss takes codebook
            ids; C-ViViT runs without gradients before it) and without the
            `critic.maskgit.*` aliases a self critic adds (the same tensors as
            `maskgit.*`)
  inputs    `ids` int64 [b, n] (flattened codebook ids), `video_patch_shape`
            int32 (t, h, w), `text_embeds` f32 [b, m, 24] (all-zero rows are
            padding: Phenaki derives text_mask = any(text_embeds != 0)),
            `video_mask` bool [b, n] (video-mask case: C-ViViT's
            calculate_video_token_mask of the frame mask), and the draws below
  outputs   `loss` (default), `loss_only_generator` (= the MaskGit loss),
            `loss_only_critic` (= the unweighted critic loss), `token_mask`
            bool [b, n], `masked_ids` int64 [b, n] (MaskGit's input), `pred_ids`
            int64 [b, n] (gumbel_sample's result), `grad:<key>` of `loss` for a
            subset of parameters (`grad_only_critic:<key>` of
            `loss_only_critic` in the self-critic case)

Random draws.  The step draws, in this order, from torch's global generator:
`rand_step` = torch.randint(0, steps, (b,)); `mask_noise` = torch.rand((b, n))
(get_mask_subset_with_prob); `gumbel_noise` = uniform_ [b, n, num_tokens]
(gumbel_noise). There is no conditional-dropout draw: Phenaki.forward in 0.5.0
sets `cond_drop_prob = 0` before `default(cond_drop_prob, self.cond_drop_prob)`,
so it never drops the text while training (the script asserts that no keep-mask
draw happens; MaskGit's own dropout is covered by make_maskgit_fixtures.py's
maskgit_cond_dropout). The script does not replace them: while the call runs it wraps
torch.randint, torch.rand and Tensor.uniform_ with recorders that call the
originals and keep a copy of each result, checks their order and shapes, and
stores them as inputs. The three calls (default, only_train_generator,
only_train_critic) start from the same torch.manual_seed, so they see the same
draws. `pred_ids` is recorded by wrapping gumbel_sample the same way. A seed is
taken (searching upwards from crc32(case)) only when its draws are not
borderline: mask counts prob*n not within 1e-3 of x.5 (torch rounds half to
even) and the sampled argmax ahead of the runner-up by at least 1e-3.

Run with the venv from Tools/reference/setup.sh:

  Tools/reference/.venv/bin/python Tools/reference/make_phenaki_loss_fixtures.py
"""

import sys

sys.dont_write_bytecode = True

import argparse
import json
import math
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

DEFAULT_OUT = blocks.REPO_ROOT / "Tests" / "Fixtures" / "phenaki"
SIZE_LIMIT = 460_000  # bytes, whole phenaki folder

B = 2
NUM_TOKENS = 32
TEXT_DIM = 24
M = 5
CVIVIT = dict(dim=16, codebook_size=NUM_TOKENS, image_size=8, patch_size=4, temporal_patch_size=2, spatial_depth=1,
              temporal_depth=1, dim_head=8, heads=2, use_vgg_and_gan=False)
FRAMES = 5  # 1 + 2 * 2: patch grid (3, 2, 2), 12 tokens
PATCH = (3, 2, 2)
N = 12
MASKGIT = dict(dim=16, num_tokens=NUM_TOKENS, max_seq_len=24, depth=2, dim_head=8, heads=2, ff_mult=2,
               dim_context=TEXT_DIM, gradient_shrink_alpha=0.1)
TOKEN_CRITIC = dict(dim=16, num_tokens=NUM_TOKENS, max_seq_len=24, depth=2, dim_head=8, heads=2, ff_mult=2,
                    dim_context=TEXT_DIM, has_cross_attn=True)

# Parameters whose gradients are stored (suffixes of state_dict keys): both ends of the
# network, one self-attention, one cross-attention with its null kv, a feed-forward, the
# position-bias MLP and the output norm.
GRAD_SUFFIXES = [
    "token_emb.weight", "pos_emb.weight", "to_logits.weight", "to_logits.bias", "to_logits.0.weight",
    "to_logits.0.bias", "to_pred.0.weight", "to_pred.0.bias", "transformer.layers.0.1.to_q.weight",
    "transformer.layers.1.2.to_kv.weight", "transformer.layers.1.2.null_kv", "transformer.layers.0.3.1.weight",
    "transformer.layers.0.0.dsconv.weight", "continuous_pos_bias.net.0.0.weight", "transformer.norm_out.gamma",
]


class Recorder:
    """Wraps torch's random calls; each call runs the original and its result is kept."""

    def __init__(self):
        self.draws = []

    @contextmanager
    def active(self):
        originals = (torch.randint, torch.rand, torch.Tensor.uniform_, reference.gumbel_sample)
        draws = self.draws

        def randint(*args, **kwargs):
            out = originals[0](*args, **kwargs)
            draws.append(("randint", out.clone()))
            return out

        def rand(*args, **kwargs):
            out = originals[1](*args, **kwargs)
            draws.append(("rand", out.clone()))
            return out

        def uniform_(self, *args, **kwargs):
            out = originals[2](self, *args, **kwargs)
            draws.append(("uniform_", out.detach().clone()))
            return out

        def gumbel_sample(*args, **kwargs):
            out = originals[3](*args, **kwargs)
            draws.append(("gumbel_sample", out.clone()))
            return out

        torch.randint, torch.rand, torch.Tensor.uniform_, reference.gumbel_sample = randint, rand, uniform_, gumbel_sample
        try:
            yield
        finally:
            torch.randint, torch.rand, torch.Tensor.uniform_, reference.gumbel_sample = originals


def text_embeds(seed):
    t = randn(gen(seed), B, M, TEXT_DIM)
    t[0, 3:] = 0  # padding: text_mask = any(text_embeds != 0)
    t[1, 1] = 0
    return t


def build(case, seed):
    torch.manual_seed(seed)
    cvivit = CViViT(**CVIVIT)
    maskgit = MaskGit(**(dict(MASKGIT, unconditional=True) if case["unconditional"] else MASKGIT))
    critic = TokenCritic(**TOKEN_CRITIC) if case["critic"] == "token" else None
    model = Phenaki(maskgit=maskgit, cvivit=cvivit, critic=critic, self_token_critic=case["critic"] == "self",
                    text_embed_dim=TEXT_DIM, **case["phenaki"])
    perturbed = perturb_constant_params(model, seed + 500)
    return model, perturbed


def call(model, data, seed, **flags):
    """One Phenaki.forward from torch.manual_seed(seed); returns the loss and the recorded draws."""
    recorder = Recorder()
    torch.manual_seed(seed)
    with recorder.active():
        loss = model(**data, **flags)
    return loss, recorder.draws


def named_draws(draws, case):
    """Checks the order and shapes of the recorded draws and names them."""
    kinds = [kind for kind, _ in draws]
    critic = case["critic"] != "none"
    # No keep-mask draws (prob_mask_like): Phenaki.forward's cond_drop_prob is always 0 in 0.5.0.
    want = ["randint", "rand"] + (["uniform_", "gumbel_sample"] if critic else [])
    assert kinds == want, f"unexpected random calls {kinds}, expected {want}"
    values = [v for _, v in draws]
    out = {"rand_step": values[0], "mask_noise": values[1]}
    if critic:
        out["gumbel_noise"], out["pred_ids"] = values[2], values[3]
    shapes = {"rand_step": (B,), "mask_noise": (B, N), "gumbel_noise": (B, N, NUM_TOKENS), "pred_ids": (B, N)}
    for k, v in out.items():
        assert tuple(v.shape) == shapes[k], f"{k}: {tuple(v.shape)}"
    return out


def borderline(model, data, mask, draws):
    """Why these draws sit where float32 and float64 could decide differently (None if they do not)."""
    steps = model.steps
    counts = mask.sum(-1).double() if mask is not None else torch.full((B,), float(N), dtype=torch.float64)
    prob = torch.cos(draws["rand_step"].double() * math.pi * 0.5 / steps)
    frac = (prob * counts) % 1
    if bool(((frac - 0.5).abs() < 1e-3).any()):
        return "mask count near x.5"
    if "gumbel_noise" in draws:
        with torch.no_grad():
            logits = captured_logits(model, data, draws)
        t = max(model.critic_train_sample_temperature, 1e-10)
        g = -torch.log(-torch.log(draws["gumbel_noise"] + 1e-10) + 1e-10)
        top2 = (logits / t + g).topk(2, dim=-1).values
        if float((top2[..., 0] - top2[..., 1]).min()) < 1e-3:
            return "sampled argmax nearly tied"
    return None


def captured_logits(model, data, draws):
    """MaskGit's logits of the step, captured with a forward hook on a replay of the call."""
    box = {}
    handle = model.maskgit.register_forward_hook(lambda _m, _a, out: box.setdefault("logits", out))
    try:
        call(model, data, draws["seed"], only_train_generator=True)
    finally:
        handle.remove()
    return box["logits"]


def masked_input(model, data, seed):
    box = {}
    handle = model.maskgit.register_forward_pre_hook(lambda _m, args: box.setdefault("x", args[0]))
    try:
        with torch.no_grad():
            call(model, data, seed, only_train_generator=True)
    finally:
        handle.remove()
    return box["x"].reshape(B, N)


CASES = [
    dict(name="loss_token_critic", unconditional=False, critic="token", video_frames=False,
         phenaki=dict(steps=18, cond_drop_prob=0.5, critic_loss_weight=0.5, critic_train_sample_temperature=1.0),
         checks="Phenaki(maskgit, TokenCritic(has_cross_attn)) loss from codebook ids: cosine schedule, "
                "get_mask_subset_with_prob, text_mask = any(text_embeds != 0), masked cross-entropy, gumbel-sampled critic input, BCE-with-logits critic loss weighted 0.5"),
    dict(name="loss_self_critic", unconditional=False, critic="self", video_frames=True,
         phenaki=dict(steps=10, cond_drop_prob=0.25, critic_loss_weight=1.0, critic_train_sample_temperature=0.7),
         checks="Phenaki(self_token_critic=True) loss from raw videos with video_frame_mask: token mask from "
                "calculate_video_token_mask (padding still maskable, as get_mask_subset_with_prob ignores where it "
                "is), SelfCritic = maskgit(return_embeds) -> to_pred, sample temperature 0.7; only_train_critic "
                "gradients reach the shared MaskGit through the critic pass only"),
    dict(name="loss_unconditional", unconditional=True, critic="none", video_frames=False,
         phenaki=dict(steps=18),
         checks="Phenaki(MaskGit(unconditional=True)) without critic: the masked cross-entropy alone, no text"),
]


def run_case(case, out_dir):
    base_seed = blocks.case_seed(case["name"])
    model, perturbed = build(case, base_seed)
    model.train()
    g = gen(base_seed + 900)
    ids4 = torch.randint(0, NUM_TOKENS, (B, *PATCH), generator=g)
    data, inputs = {}, {}
    if case["video_frames"]:
        videos = torch.rand((B, 3, FRAMES, 8, 8), generator=g)
        frame_mask = torch.tensor([[True] * FRAMES, [True, True, True, False, False]])
        with torch.no_grad():
            ids4 = model.cvivit(videos, return_only_codebook_ids=True)
            video_mask = model.cvivit.calculate_video_token_mask(videos, video_frame_mask=frame_mask)
        data.update(videos=videos, video_frame_mask=frame_mask)
        inputs["video_mask"] = video_mask.contiguous()
    else:
        data["video_codebook_ids"] = ids4
    if not case["unconditional"]:
        data["text_embeds"] = text_embeds(base_seed + 901)
        inputs["text_embeds"] = data["text_embeds"]
    inputs["ids"] = ids4.reshape(B, N).contiguous()
    inputs["video_patch_shape"] = torch.tensor(PATCH, dtype=torch.int32)

    for seed in range(base_seed, base_seed + 500):
        _, recorded = call(model, data, seed)
        draws = dict(named_draws(recorded, case), seed=seed)
        why = borderline(model, data, inputs.get("video_mask"), draws)
        if why is None:
            break
        print(f"  {case['name']}: seed {seed} skipped ({why})")
    else:
        sys.exit(f"{case['name']}: no seed without borderline draws")

    params = {k: p for k, p in model.named_parameters() if not k.startswith("cvivit.")}
    graded = {k: p for k, p in params.items() if any(k.endswith(s) for s in GRAD_SUFFIXES)}

    outputs = {}
    loss, _ = call(model, data, seed)
    grads = torch.autograd.grad(loss, list(graded.values()), allow_unused=True)
    outputs["loss"] = loss.detach().reshape(())
    for k, gr in zip(graded, grads):
        outputs[f"grad:{k}"] = (gr if gr is not None else torch.zeros_like(graded[k])).detach().contiguous()
    with torch.no_grad():
        outputs["loss_only_generator"] = call(model, data, seed, only_train_generator=True)[0].detach().reshape(())
    if case["critic"] != "none":
        only_critic, _ = call(model, data, seed, only_train_critic=True)
        outputs["loss_only_critic"] = only_critic.detach().reshape(())
        if case["critic"] == "self":
            grads = torch.autograd.grad(only_critic, list(graded.values()), allow_unused=True)
            for k, gr in zip(graded, grads):
                outputs[f"grad_only_critic:{k}"] = (gr if gr is not None else torch.zeros_like(graded[k])).detach().contiguous()
        outputs["pred_ids"] = draws["pred_ids"].contiguous()
    masked = masked_input(model, data, seed)
    outputs["masked_ids"] = masked.contiguous()
    outputs["token_mask"] = (masked == model.mask_id).contiguous()

    for k in ("rand_step", "mask_noise", "gumbel_noise"):
        if k in draws:
            inputs[k] = draws[k].contiguous()

    state = {k: v.detach().float().contiguous() for k, v in model.state_dict().items()
             if not k.startswith("cvivit.") and not k.startswith("critic.maskgit.")}
    case_dir = out_dir / case["name"]
    case_dir.mkdir(parents=True, exist_ok=True)
    meta = {"generator": f"Tools/reference/make_phenaki_loss_fixtures.py ({case['name']})"}
    save_file(state, str(case_dir / "weights.safetensors"), metadata=meta)
    save_file(inputs, str(case_dir / "inputs.safetensors"), metadata=meta)
    save_file(outputs, str(case_dir / "outputs.safetensors"), metadata=meta)

    ctor = {"phenaki": dict(case["phenaki"], text_embed_dim=TEXT_DIM, self_token_critic=case["critic"] == "self"),
            "maskgit": dict(MASKGIT, unconditional=True) if case["unconditional"] else MASKGIT,
            "cvivit": CVIVIT}
    if case["critic"] == "token":
        ctor["critic"] = TOKEN_CRITIC
    config = {
        "case": case["name"],
        "checks": case["checks"],
        "reference": {"phenaki-pytorch": version("phenaki-pytorch"),
                      "vector-quantize-pytorch": version("vector-quantize-pytorch"), "torch": torch.__version__},
        "module": "phenaki_pytorch.phenaki_pytorch.Phenaki",
        "constructor_kwargs": ctor,
        "critic": case["critic"],
        "call": "loss = phenaki(videos, video_frame_mask=...) " if case["video_frames"]
                else "loss = phenaki(video_codebook_ids=ids.reshape(b, t, h, w), text_embeds=text_embeds)",
        "mode": "train (dropout 0)",
        "seed": {"build": base_seed, "perturb_constant_params": base_seed + 500, "data": base_seed + 900,
                 "forward (torch.manual_seed)": seed},
        "perturbed_params": [k for k in perturbed if not k.startswith("cvivit.")],
        "inputs": {k: tensor_info(v) for k, v in inputs.items()},
        "outputs": {k: tensor_info(v) for k, v in outputs.items()},
        "notes": ["Phenaki.forward ignores cond_drop_prob in 0.5.0 (it sets cond_drop_prob = 0 first): no text is dropped",
                  "weights omit cvivit.* and the critic.maskgit.* aliases of maskgit.*",
                  "gradients are stored for a subset of parameters (GRAD_SUFFIXES in the script)"],
    }
    (case_dir / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    size = sum(p.stat().st_size for p in case_dir.iterdir())
    print(f"{case['name']:<22} loss {float(loss):.6f} seed {seed} {size / 1024:.1f} KiB")


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
    total = sum(p.stat().st_size for p in opts.out.rglob("*") if p.is_file())
    print(f"total {total / 1024:.1f} KiB in {opts.out}")
    if total > SIZE_LIMIT:
        sys.exit(f"fixtures are {total} bytes, over the {SIZE_LIMIT} byte budget")


if __name__ == "__main__":
    main()
