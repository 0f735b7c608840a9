"""PyTorch CPU's side of the deepten bench (Debian python3-torch, run with /usr/bin/python3).

Usage: torch_bench.py --threads N --only a,b [--quick]
Speaks the bench/common.ts worker protocol on stdout: "@@meta {json}", "@@note text", "@@start name",
"@@result {json}". The timing rule is common.ts's measure(), kept in step by hand.
"""
import argparse
import itertools
import json
import math
import os
import statistics
import sys
import time


def say(line):
    print(line, flush=True)


def timing_options(quick):
    if quick:
        return dict(budget=0.4, min_reps=3, max_reps=100, limit=8)
    return dict(budget=1.5, min_reps=5, max_reps=300, limit=15)


def measure(fn, budget, min_reps, max_reps, limit):
    """Warm-up (runs until 0.25 s have gone by, at least 1), then the median of runs; see common.ts measure()."""
    t0 = time.perf_counter()
    for w in itertools.count():
        if w > 0 and time.perf_counter() - t0 >= 0.25:
            break
        fn()
    times = []
    start = time.perf_counter()
    while True:
        t = time.perf_counter()
        fn()
        now = time.perf_counter()
        times.append(now - t)
        elapsed = now - start
        if len(times) >= max_reps:
            break
        if len(times) >= min_reps and elapsed >= budget:
            break
        if len(times) >= 3 and elapsed >= 4 * budget:
            break
        if (now - t0) + (now - t) > limit:
            break
    return dict(ms=statistics.median(times) * 1000, reps=len(times), min=min(times) * 1000)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, required=True)
    ap.add_argument('--only', default='')
    ap.add_argument('--quick', action='store_true')
    a = ap.parse_args()
    try:
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
    except Exception as e:  # the driver reports the library as skipped
        say('@@skip torch is not importable: %s' % str(e).splitlines()[0])
        return

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    say('@@meta ' + json.dumps(dict(library='pytorch', version=torch.__version__, threads=torch.get_num_threads(),
                                    info=dict(parallel=torch.__config__.parallel_info().splitlines()[:6]))))

    def sgemm(n):
        def setup():
            x, y = torch.randn(n, n), torch.randn(n, n)

            def run():
                with torch.no_grad():
                    torch.mm(x, y)
            return run
        return setup

    def conv_layer(n, c_in, hw, c_out, k, pad):
        def setup():
            x = torch.randn(n, c_in, hw, hw, requires_grad=True)
            w = (torch.randn(c_out, c_in, k, k) / math.sqrt(c_in * k * k)).requires_grad_()

            def run():
                x.grad = None
                w.grad = None
                F.conv2d(x, w, padding=pad).sum().backward()
            return run
        return setup

    def lstm():
        model = nn.LSTM(200, 200, num_layers=2)
        x = torch.randn(20, 20, 200)

        def run():
            model.zero_grad(set_to_none=True)
            out, _ = model(x)
            out.sum().backward()
        return run

    def transformer():
        block = nn.TransformerEncoderLayer(128, 4, dim_feedforward=512, dropout=0.0, activation='relu',
                                           batch_first=True, norm_first=False)
        x = torch.randn(12, 64, 128)

        def run():
            block.zero_grad(set_to_none=True)
            block(x).sum().backward()
        return run

    def train_step(model, x, y):
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

        def run():
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            loss.item()
        return run

    def mlp_train():
        model = nn.Sequential(nn.Linear(784, 800), nn.ReLU(), nn.Linear(800, 10))
        return train_step(model, torch.rand(128, 784), torch.randint(0, 10, (128,)))

    def lenet_train():
        model = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
        return train_step(model, torch.rand(64, 1, 28, 28), torch.randint(0, 10, (64,)))

    def ddpm_train():
        # the same step as deepten's: linear β schedule, t and ε drawn, ε-MSE, grad-norm clip 1.0, Adam 1e-3
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from torch_unet import UNet
        net = UNet()
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        abar = torch.cumprod(1 - torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64), 0)
        x0 = torch.rand(128, 1, 28, 28) * 2 - 1

        def run():
            t = torch.randint(0, 1000, (128,))
            eps = torch.randn_like(x0)
            a = abar[t].float()[:, None, None, None]
            xt = a.sqrt() * x0 + (1 - a).sqrt() * eps
            loss = F.mse_loss(net(xt, t), eps)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            loss.item()
        return run

    impls = {
        'sgemm-256': sgemm(256), 'sgemm-512': sgemm(512), 'sgemm-1024': sgemm(1024),
        'conv-lenet': conv_layer(64, 1, 28, 6, 5, 0),
        'conv-resnet': conv_layer(64, 64, 16, 64, 3, 1),
        'lstm': lstm, 'transformer': transformer, 'mlp-train': mlp_train, 'lenet-train': lenet_train,
        'ddpm-train': ddpm_train,
    }
    say('@@note nn.LSTM, nn.TransformerEncoderLayer (dropout 0), nn.Sequential models, torch.optim.SGD')
    opts = timing_options(a.quick)
    for name in [n for n in a.only.split(',') if n]:
        say('@@start ' + name)
        setup = impls.get(name)
        if setup is None:
            r = dict(na='not implemented for this library')
        else:
            try:
                r = measure(setup(), **opts)
            except Exception as e:
                r = dict(na=str(e).splitlines()[0][:160])
        say('@@result ' + json.dumps(dict(name=name, **r)))
        shown = ('       n/a  (%s)' % r['na']) if 'na' in r else '%10.2f ms  (%d runs)' % (r['ms'], r['reps'])
        sys.stderr.write('  %-14s %-18s %s\n' % ('pytorch-%dt' % a.threads, name, shown))


if __name__ == '__main__':
    main()
