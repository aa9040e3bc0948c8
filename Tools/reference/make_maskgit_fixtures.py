#!/usr/bin/env python3
"""Parity fixtures for phenaki-pytorch 0.5.0's MaskGit and TokenCritic.

Tiny, seeded instances in eval mode (dropout 0), written into
Tests/Fixtures/maskgit/<case>/ in the same layout as make_block_fixtures.py
(weights / inputs / outputs .safetensors and config.json; the case machinery,
seeds and file format are the ones in that script, imported from it):

  inputs    `x` video token ids int64 [b, n] (n = t*h*w; the Swift reader turns
            them into int32), `video_patch_shape` int32 (t, h, w) for
            convenience, `text_embeds` float32 [b, m, dim_context], `text_mask`
            bool [b, m], `video_mask` bool [b, n], `grad_weight`
  outputs   `y` = logits, `grad:<key>` for every parameter, `grad_input:text_embeds`

Classifier-free guidance cases call `forward_with_cond_scale` (through a subclass
whose `forward` dispatches to it when given `cond_scale`; the state_dict is
MaskGit's / TokenCritic's own) and conditional dropout (`cond_drop_prob` 0.5 with
the keep mask given as the input `keep_mask`: the subclass swaps
`prob_mask_like`, the call's only random draw, for a function returning it; the
masking math stays phenaki-pytorch's).

Run with the venv from Tools/reference/setup.sh:

  Tools/reference/.venv/bin/python Tools/reference/make_maskgit_fixtures.py
"""

import sys

sys.dont_write_bytecode = True

import argparse
import shutil
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import torch  # noqa: E402

import make_block_fixtures as blocks  # noqa: E402
from make_block_fixtures import Case, In, bool_mask, gen, randn  # noqa: E402
import phenaki_pytorch.phenaki_pytorch as reference  # noqa: E402
from phenaki_pytorch.phenaki_pytorch import MaskGit, TokenCritic  # noqa: E402

DEFAULT_OUT = blocks.REPO_ROOT / "Tests" / "Fixtures" / "maskgit"
SIZE_LIMIT = 800_000  # bytes, whole maskgit folder

B = 2
DIM = 16
NUM_TOKENS = 32
MAX_SEQ_LEN = 24
DEPTH = 2
DIM_HEAD = 8
HEADS = 2
DIM_CONTEXT = 24
FF_MULT = 2
PATCH = (2, 2, 3)  # (t, h, w): 12 tokens
N = 12
M = 5

TEXT_MASK = [
    [True, True, True, False, False],
    [True, False, True, True, True],
]
VIDEO_MASK = [[True] * N, [True] * 9 + [False] * 3]


def with_cond_scale(cls):
    """`cls` whose forward is `forward_with_cond_scale` when called with `cond_scale`."""

    class CondScale(cls):
        def forward(self, x, cond_scale=None, **kwargs):
            if cond_scale is None:
                return super().forward(x, **kwargs)
            return self.forward_with_cond_scale(x, cond_scale=cond_scale, **kwargs)

    CondScale.__name__ = cls.__name__
    return CondScale


class MaskGitKeepMask(MaskGit):
    """MaskGit whose conditional-dropout draw is the given `keep_mask` [b]."""

    def forward(self, x, keep_mask=None, **kwargs):
        def given(shape, prob, device):
            assert tuple(shape) == tuple(keep_mask.shape) and 0 < prob < 1
            return keep_mask

        original = reference.prob_mask_like
        reference.prob_mask_like = given
        try:
            return super().forward(x, **kwargs)
        finally:
            reference.prob_mask_like = original


def token_ids(seed):
    ids = torch.randint(0, NUM_TOKENS, (B, N), generator=gen(seed), dtype=torch.int64)
    ids[0, 3] = NUM_TOKENS  # the mask id (last row of token_emb)
    ids[1, 0] = NUM_TOKENS
    ids[1, 7] = NUM_TOKENS
    return ids


def cond_inputs(seed, video_mask=False):
    def make():
        g = gen(seed)
        out = {
            "x": token_ids(seed + 1),
            "video_patch_shape": torch.tensor(PATCH, dtype=torch.int32),
            "text_embeds": randn(g, B, M, DIM_CONTEXT),
            "text_mask": bool_mask(TEXT_MASK),
        }
        if video_mask:
            out["video_mask"] = bool_mask(VIDEO_MASK)
        return out
    return make


def cases():
    out = []
    base = {"dim": DIM, "num_tokens": NUM_TOKENS, "max_seq_len": MAX_SEQ_LEN, "depth": DEPTH,
            "dim_head": DIM_HEAD, "heads": HEADS, "ff_mult": FF_MULT}

    mg = dict(base, dim_context=DIM_CONTEXT, gradient_shrink_alpha=0.1)
    out.append(Case(
        name="maskgit_text",
        checks="MaskGit conditioned on text: token_emb(x) + pos_emb(arange n), gradient shrink x*a + x.detach()*(1-a) (a 0.1), "
               "Transformer(peg, has_cross_attn, attn_num_null_kv 2) with attn_bias = ContinuousPositionBias(dim=dim_head, heads, num_dims=3)(t, h, w), "
               "context = text_embeds, cross_attn_context_mask = text_mask, self_attn_mask = video_mask; to_logits Linear(dim, num_tokens)",
        module="phenaki_pytorch.phenaki_pytorch.MaskGit",
        ctor=mg,
        build=lambda: MaskGit(**mg),
        inputs=cond_inputs(21, video_mask=True),
        args=[In("x")],
        kwargs={"cond_drop_prob": 0.0, "text_mask": In("text_mask"), "video_mask": In("video_mask"),
                "video_patch_shape": PATCH, "context": In("text_embeds")},
        notes=["token ids include the mask id num_tokens (row 32 of token_emb)",
               "x is int64 in inputs.safetensors (nn.Embedding needs long); readers may convert it to int32",
               "text_mask must be given with a context: MaskGit's default is ones((b, n)) with the video length n"],
    ))

    mgu = dict(base, unconditional=True)
    out.append(Case(
        name="maskgit_unconditional",
        checks="MaskGit(unconditional=True): no cross attention (layers.<i>.2 absent), no context, no masks",
        module="phenaki_pytorch.phenaki_pytorch.MaskGit",
        ctor=mgu,
        build=lambda: MaskGit(**mgu),
        inputs=lambda: {"x": token_ids(31), "video_patch_shape": torch.tensor(PATCH, dtype=torch.int32)},
        args=[In("x")],
        kwargs={"cond_drop_prob": 0.0, "video_patch_shape": PATCH},
    ))

    tc = dict(base, dim_context=DIM_CONTEXT, has_cross_attn=True)
    out.append(Case(
        name="token_critic_text",
        checks="TokenCritic(has_cross_attn): token_emb + pos_emb (no gradient shrink, no position bias), Transformer(peg, cross attn), "
               "to_logits Linear(dim, 1) squeezed to [b, n]",
        module="phenaki_pytorch.phenaki_pytorch.TokenCritic",
        ctor=tc,
        build=lambda: TokenCritic(**tc),
        inputs=cond_inputs(41),
        args=[In("x")],
        kwargs={"cond_drop_prob": 0.0, "text_mask": In("text_mask"), "video_patch_shape": PATCH,
                "context": In("text_embeds")},
        notes=["cond_drop_prob must be a number when a context is given (None > 0 raises)"],
    ))

    out.append(Case(
        name="maskgit_cond_scale",
        checks="MaskGit.forward_with_cond_scale(cond_scale=3): null + (cond - null) * 3, cond with cond_drop_prob 0, null with "
               "cond_drop_prob 1 (prob_mask_like(b, 0) is all false: every text key masked, only the 2 null kv attended)",
        module="phenaki_pytorch.phenaki_pytorch.MaskGit.forward_with_cond_scale",
        ctor=mg,
        build=lambda: with_cond_scale(MaskGit)(**mg),
        inputs=cond_inputs(51, video_mask=True),
        args=[In("x")],
        kwargs={"cond_scale": 3.0, "text_mask": In("text_mask"), "video_mask": In("video_mask"),
                "video_patch_shape": PATCH, "context": In("text_embeds")},
    ))

    def dropout_inputs():
        out = cond_inputs(61, video_mask=True)()
        out["keep_mask"] = bool_mask([True, False])
        return out

    out.append(Case(
        name="maskgit_cond_dropout",
        checks="MaskGit conditional dropout, cond_drop_prob 0.5: text_mask = keep_mask[:, None] & text_mask with the "
               "prob_mask_like((b,), 0.5) draw given as keep_mask [True, False]",
        module="phenaki_pytorch.phenaki_pytorch.MaskGit",
        ctor=mg,
        build=lambda: MaskGitKeepMask(**mg),
        inputs=dropout_inputs,
        args=[In("x")],
        kwargs={"cond_drop_prob": 0.5, "keep_mask": In("keep_mask"), "text_mask": In("text_mask"),
                "video_mask": In("video_mask"), "video_patch_shape": PATCH, "context": In("text_embeds")},
        notes=["keep_mask replaces the call's one random draw (prob_mask_like) through a subclass of MaskGit"],
    ))

    out.append(Case(
        name="token_critic_cond_scale",
        checks="TokenCritic.forward_with_cond_scale(cond_scale=2.5): null + (cond - null) * 2.5 (null: cond_drop_prob 1)",
        module="phenaki_pytorch.phenaki_pytorch.TokenCritic.forward_with_cond_scale",
        ctor=tc,
        build=lambda: with_cond_scale(TokenCritic)(**tc),
        inputs=cond_inputs(71, video_mask=True),
        args=[In("x")],
        kwargs={"cond_scale": 2.5, "text_mask": In("text_mask"), "video_mask": In("video_mask"),
                "video_patch_shape": PATCH, "context": In("text_embeds")},
    ))
    return out


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
    for case in cases():
        blocks.run_case(case, opts.out)
    total = sum(p.stat().st_size for p in opts.out.rglob("*") if p.is_file())
    print(f"total {total / 1024:.1f} KiB in {opts.out}")
    if total > SIZE_LIMIT:
        sys.exit(f"fixtures are {total} bytes, over the {SIZE_LIMIT} byte budget")


if __name__ == "__main__":
    main()
