#!/usr/bin/env python3
"""Fixtures for the trainers: ema-pytorch 0.8.3's EMA schedule as phenaki-pytorch 0.5.0's
CViViTTrainer drives it (one EMA.update() after each optimizer step).

Tests/Fixtures/trainer/ema_schedule.json holds, for a few (beta, update_after_step,
update_every) settings, the weight a one-parameter model has before each update (a fixed
pseudo-random walk) and the EMA weight after it, in float64. The Swift test replays the walk
through EMASchedule and the blend the training plan applies.

  Tools/reference/.venv/bin/python Tools/reference/make_trainer_fixtures.py
"""

import sys

sys.dont_write_bytecode = True

import json
import shutil
import zlib
from pathlib import Path

import torch
from torch import nn
from ema_pytorch import EMA

REPO_ROOT = Path(__file__).resolve().parents[2]
OUT = REPO_ROOT / "Tests" / "Fixtures" / "trainer"
SIZE_LIMIT = 20_000
UPDATES = 14
SETTINGS = [(0.995, 0, 1), (0.9, 2, 3), (0.5, 5, 2)]


def case(beta, after, every):
    model = nn.Linear(1, 1, bias=False).double()
    ema = EMA(model, beta=beta, update_after_step=after, update_every=every)
    g = torch.Generator().manual_seed(zlib.crc32(f"{beta}-{after}-{every}".encode()))
    weights, averages = [], []
    with torch.no_grad():
        model.weight.fill_(0.0)
        for _ in range(UPDATES):
            model.weight.add_(torch.randn((1, 1), generator=g, dtype=torch.float64))
            ema.update()
            weights.append(float(model.weight))
            averages.append(float(ema.ema_model.weight))
    return dict(beta=beta, update_after_step=after, update_every=every, weights=weights, ema=averages)


def main():
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    cases = [case(*s) for s in SETTINGS]
    (OUT / "ema_schedule.json").write_text(json.dumps(dict(ema_pytorch="0.8.3", cases=cases), indent=1) + "\n")
    total = sum(f.stat().st_size for f in OUT.rglob("*") if f.is_file())
    print(f"total {total} bytes")
    assert total < SIZE_LIMIT, f"fixtures too large: {total}"


if __name__ == "__main__":
    main()
