#!/usr/bin/env python3
"""VDiT (shared/workloads/vdit.md) in PyTorch: the peer that acc's training step is compared with.

The model follows vdit.md exactly, with parameters named by its safetensors keys (linear weights stored
[in, out]), so weights, batches and checkpoints move between acc and PyTorch unchanged.

  bench/.venv/bin/python bench/pytorch_vdit.py --model vdit-s --runs 20            # eager and torch.compile
  bench/.venv/bin/python bench/pytorch_vdit.py --fixture ../shared/fixtures/vdit-test  # check the model
  bench/.venv/bin/python bench/pytorch_vdit.py --load-checkpoint run/checkpoint.safetensors --model vdit-s

Prints one JSON object on standard output. Set up the environment with bench/setup_venv.sh.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

CONFIGS = {
    # name: (B, T, H=W, C, (pt, ph, pw), D, heads, depth)
    "vdit-test": (2, 4, 16, 3, (2, 4, 4), 32, 2, 2),
    "vdit-s": (8, 8, 32, 3, (2, 4, 4), 128, 4, 4),
    "vdit-m": (4, 16, 64, 3, (2, 8, 8), 256, 8, 6),
}


class Linear(nn.Module):
    """y = x @ W + b with W stored [in, out], as vdit.md (not PyTorch's [out, in])."""

    def __init__(self, fan_in, fan_out):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(fan_in, fan_out))
        self.bias = nn.Parameter(torch.zeros(fan_out))

    def forward(self, x):
        return torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight).reshape(*x.shape[:-1], -1)


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.ada, self.qkv, self.proj = Linear(d, 6 * d), Linear(d, 3 * d), Linear(d, d)
        self.fc1, self.fc2 = Linear(d, 4 * d), Linear(4 * d, d)


class TimeEmbedding(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.fc1, self.fc2 = Linear(64, d), Linear(d, d)


class Final(nn.Module):
    def __init__(self, d, p):
        super().__init__()
        self.ada, self.out = Linear(d, 2 * d), Linear(d, p)


class VDiT(nn.Module):
    def __init__(self, name):
        super().__init__()
        self.B, self.T, self.S, self.C, self.patch, self.D, self.heads, depth = CONFIGS[name]
        pt, ph, pw = self.patch
        self.N = (self.T // pt) * (self.S // ph) * (self.S // pw)
        self.P = pt * ph * pw * self.C
        self.patch_embed = Linear(self.P, self.D)
        self.pos_embed = nn.Parameter(torch.zeros(self.N, self.D))
        self.t_embed = TimeEmbedding(self.D)
        self.blocks = nn.ModuleList(Block(self.D) for _ in range(depth))
        self.final = Final(self.D, self.P)

    def initialise(self, seed):
        """vdit.md: linear weights and pos_embed ~ N(0, 0.02^2), biases 0, adaLN-Zero."""
        generator = torch.Generator().manual_seed(seed)
        for key, value in self.state_dict().items():
            zero = key.endswith(".bias") or ".ada." in key or key.startswith("final.out.")
            value.copy_(torch.zeros_like(value) if zero else 0.02 * torch.randn(value.shape, generator=generator))

    def patchify(self, x):
        B, T, H, W, C = x.shape
        pt, ph, pw = self.patch
        x = x.reshape(B, T // pt, pt, H // ph, ph, W // pw, pw, C).permute(0, 1, 3, 5, 2, 4, 6, 7)
        return x.reshape(B, self.N, self.P)

    @staticmethod
    def modulate(x, shift, scale):
        return F.layer_norm(x, x.shape[-1:], eps=1e-6) * (1 + scale[:, None]) + shift[:, None]

    def velocity(self, xt, t):
        half = 32
        frequencies = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32) / half)
        angles = (t * 1000)[:, None] * frequencies[None]
        c = self.t_embed.fc2(F.silu(self.t_embed.fc1(torch.cat([torch.cos(angles), torch.sin(angles)], dim=1))))
        c = F.silu(c)
        x = self.patch_embed(self.patchify(xt)) + self.pos_embed
        B, N, D, heads = x.shape[0], self.N, self.D, self.heads
        for block in self.blocks:
            shift1, scale1, gate1, shift2, scale2, gate2 = block.ada(c).chunk(6, dim=1)
            q, k, v = block.qkv(self.modulate(x, shift1, scale1)).chunk(3, dim=2)
            q, k, v = (z.reshape(B, N, heads, D // heads).transpose(1, 2) for z in (q, k, v))
            a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(D // heads), dim=-1) @ v
            x = x + gate1[:, None] * block.proj(a.transpose(1, 2).reshape(B, N, D))
            h = self.modulate(x, shift2, scale2)
            x = x + gate2[:, None] * block.fc2(F.gelu(block.fc1(h), approximate="tanh"))
        shift, scale = self.final.ada(c).chunk(2, dim=1)
        return self.final.out(self.modulate(x, shift, scale))

    def loss(self, x0, eps, t):
        s = t[:, None, None, None, None]
        return ((self.velocity((1 - s) * x0 + s * eps, t) - self.patchify(eps - x0)) ** 2).mean()

    def forward_flops(self):
        """vdit.md's count: 2 per multiply-add of every matrix product, forward only."""
        B, N, D, P = self.B, self.N, self.D, self.P
        rows = B * N
        block = 2 * rows * D * 3 * D + 2 * rows * D * D + 2 * 2 * rows * D * 4 * D + 2 * 2 * B * N * N * D + 2 * B * D * 6 * D
        embed = 2 * rows * P * D + 2 * B * (64 * D + D * D)
        final = 2 * B * D * 2 * D + 2 * rows * D * P
        return embed + len(self.blocks) * block + final


def batch(model, seed):
    """A random batch of the model's shapes (timing does not depend on the values)."""
    generator = torch.Generator().manual_seed(seed)
    shape = (model.B, model.T, model.S, model.S, model.C)
    return (torch.rand(shape, generator=generator) * 2 - 1, torch.randn(shape, generator=generator),
            torch.rand(model.B, generator=generator))


def optimizer(model):
    return torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)


def train(model, data, steps, compiled):
    """Steps of AdamW on one batch; returns (losses, step times in seconds)."""
    opt = optimizer(model)
    loss_fn = torch.compile(model.loss) if compiled else model.loss
    losses, times = [], []
    for _ in range(steps):
        start = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(*data)
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - start)
        losses.append(loss.item())
    return losses, times


def measure(name, seed, warmup, runs, compiled):
    torch.manual_seed(seed)
    model = VDiT(name)
    model.initialise(seed)
    data = batch(model, seed)
    _, times = train(model, data, warmup + runs, compiled)
    median = statistics.median(times[warmup:])
    return {"median_ms": median * 1e3, "samples_per_s": model.B / median,
            "gflops": 3 * model.forward_flops() / median / 1e9,
            "first_step_ms": times[0] * 1e3}


def check_fixture(directory):
    from safetensors.torch import load_file
    expected = json.load(open(os.path.join(directory, "expected.json")))
    model = VDiT("vdit-test")
    model.load_state_dict(load_file(os.path.join(directory, "weights.safetensors")))
    b = load_file(os.path.join(directory, "batch.safetensors"))
    losses, _ = train(model, (b["x0"], b["eps"], b["t"]), len(expected["losses_5_steps"]), compiled=False)
    worst = max(abs(a - e) / abs(e) for a, e in zip(losses, expected["losses_5_steps"]))
    return {"losses": losses, "expected": expected["losses_5_steps"], "max_relative_error": worst, "ok": worst <= 1e-4}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="vdit-s", choices=sorted(CONFIGS))
    parser.add_argument("--runs", type=int, default=20, help="timed steps (median reported)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first (torch.compile compiles here)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: PyTorch's default)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--modes", default="eager,compile", help="comma-separated: eager, compile")
    parser.add_argument("--fixture", help="check the model against shared/fixtures/vdit-test instead of timing")
    parser.add_argument("--load-checkpoint", help="load an acc checkpoint's parameters into the model and report the loss on a batch")
    parser.add_argument("--save-weights", help="write freshly initialised weights with vdit.md's keys (for acctl train --init)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    result = {"torch": torch.__version__, "threads": torch.get_num_threads(), "model": args.model}
    if args.fixture:
        result["fixture"] = check_fixture(args.fixture)
        print(json.dumps(result))
        return 0 if result["fixture"]["ok"] else 1
    if args.save_weights or args.load_checkpoint:
        from safetensors.torch import load_file, save_file
        model = VDiT(args.model)
        if args.save_weights:
            model.initialise(args.seed)
            save_file({k: v.contiguous() for k, v in model.state_dict().items()}, args.save_weights)
            result["saved"] = args.save_weights
        if args.load_checkpoint:
            state = load_file(args.load_checkpoint)
            keys = set(model.state_dict())
            model.load_state_dict({k: v for k, v in state.items() if k in keys}, strict=True)
            with torch.no_grad():
                result["loss_on_random_batch"] = model.loss(*batch(model, args.seed)).item()
            result["optimizer_state_keys"] = len([k for k in state if k.split(".", 1)[0] in ("m", "v")])
        print(json.dumps(result))
        return 0
    for mode in args.modes.split(","):
        result[mode] = measure(args.model, args.seed, args.warmup, args.runs, compiled=(mode == "compile"))
    result["runs"], result["warmup"] = args.runs, args.warmup
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
