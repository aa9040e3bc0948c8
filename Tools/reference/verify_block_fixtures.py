#!/usr/bin/env python3
"""Checks that Tests/Fixtures/blocks is self-describing and current.

For every case folder it rebuilds the module from config.json alone
(`module` + `constructor_kwargs`), loads weights.safetensors with
strict=True, replays `call` with inputs.safetensors, and compares `y` and
every gradient of L = (y * grad_weight).sum() with outputs.safetensors.
This is the recipe the Swift parity tests follow.

  Tools/reference/.venv/bin/python Tools/reference/verify_block_fixtures.py
"""

import sys

sys.dont_write_bytecode = True

import argparse
import importlib
import json
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")

import torch
from safetensors.torch import load_file

REPO_ROOT = Path(__file__).resolve().parents[2]


def build(config):
    module_path, _, name = config["module"].rpartition(".")
    factory = getattr(importlib.import_module(module_path), name)
    kwargs = dict(config["constructor_kwargs"])
    return factory(**kwargs)


def arg(value, tensors):
    if isinstance(value, dict) and set(value) == {"input"}:
        return tensors[value["input"]]
    if isinstance(value, list):  # video_shape / shape: beartype wants a tuple of ints
        return tuple(value)
    return value


def verify(case_dir: Path) -> bool:
    config = json.loads((case_dir / "config.json").read_text())
    weights = load_file(str(case_dir / "weights.safetensors"))
    inputs = load_file(str(case_dir / "inputs.safetensors"))
    expected = load_file(str(case_dir / "outputs.safetensors"))

    torch.manual_seed(0)  # the weights come from the file, not from this seed
    module = build(config)
    module.load_state_dict(weights, strict=True)
    module.eval()

    grad_weight = inputs.pop("grad_weight")
    leaves = {k: (v.clone().requires_grad_(True) if v.is_floating_point() else v) for k, v in inputs.items()}
    call = config["call"]
    y = module(*[arg(a, leaves) for a in call["args"]], **{k: arg(v, leaves) for k, v in call["kwargs"].items()})

    params = dict(module.named_parameters())
    float_inputs = [k for k, v in leaves.items() if v.requires_grad]
    grads = torch.autograd.grad((y * grad_weight).sum(), [*params.values(), *[leaves[k] for k in float_inputs]],
                                allow_unused=True)
    got = {"y": y.detach()}
    for key, g in zip([*[f"grad:{k}" for k in params], *[f"grad_input:{k}" for k in float_inputs]], grads):
        ref = params[key[5:]] if key.startswith("grad:") else leaves[key[11:]]
        got[key] = torch.zeros_like(ref) if g is None else g

    ok = set(got) == set(expected)
    worst = 0.0
    for key, value in expected.items():
        if key not in got or got[key].shape != value.shape:
            ok = False
            continue
        worst = max(worst, float((got[key] - value).abs().max()) if value.numel() else 0.0)
    ok = ok and worst <= 1e-6
    print(f"{'ok  ' if ok else 'FAIL'} {case_dir.name:34s} tensors {len(expected):3d}  max |diff| {worst:.1e}")
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, default=REPO_ROOT / "Tests" / "Fixtures" / "blocks")
    opts = parser.parse_args()
    torch.set_num_threads(1)
    cases = sorted(p for p in opts.dir.iterdir() if (p / "config.json").exists())
    if not cases:
        sys.exit(f"no fixtures under {opts.dir}")
    results = [verify(p) for p in cases]
    if not all(results):
        sys.exit(f"{results.count(False)} of {len(results)} cases differ")
    print(f"all {len(results)} cases reproduce")


if __name__ == "__main__":
    main()
