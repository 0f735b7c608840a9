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
    ap.add_argument('--steps', type=int, default=0, help='step mode: 2 warm-up runs, then N, wall and CPU time per run')
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

    def gru():
        model = nn.GRU(200, 200, num_layers=2)
        x = torch.randn(20, 20, 200)

        def run():
            model.zero_grad(set_to_none=True)
            out, _ = model(x)
            out.sum().backward()
        return run

    class PtbSmall(nn.Module):
        # Zaremba et al.'s small LM, as src/models/lstm.ts builds it
        def __init__(self, V=10000, H=200):
            super().__init__()
            self.encoder = nn.Embedding(V, H)
            self.rnn = nn.LSTM(H, H, num_layers=2)
            self.decoder = nn.Linear(H, V)
            for p in self.parameters():
                nn.init.uniform_(p, -0.1, 0.1)

        def forward(self, x, state):
            out, state = self.rnn(self.encoder(x), state)
            return self.decoder(out), state

    def lstm_ptb_train():
        V, T, B = 10000, 20, 20
        model = PtbSmall(V)
        opt = torch.optim.SGD(model.parameters(), lr=1.0)
        x, y = torch.randint(0, V, (T, B)), torch.randint(0, V, (T * B,))
        box = [None]

        def run():
            logits, state = model(x, box[0])
            box[0] = tuple(s.detach() for s in state)
            loss = F.cross_entropy(logits.reshape(T * B, V), y)
            opt.zero_grad(set_to_none=True)
            (loss * T).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            loss.item()
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

    def dcgan_step():
        # issue 15's networks and the recipe's step: D on real + detached fake, then G through the frozen D
        class G(nn.Module):
            def __init__(s):
                super().__init__()
                s.fc, s.bn0 = nn.Linear(100, 6272, bias=False), nn.BatchNorm1d(6272)
                s.d1, s.bn1 = nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64)
                s.d2 = nn.ConvTranspose2d(64, 1, 4, 2, 1)

            def forward(s, z):
                h = F.relu(s.bn0(s.fc(z))).view(-1, 128, 7, 7)
                return torch.tanh(s.d2(F.relu(s.bn1(s.d1(h)))))

        class D(nn.Module):
            def __init__(s):
                super().__init__()
                s.c1, s.c2 = nn.Conv2d(1, 64, 4, 2, 1), nn.Conv2d(64, 128, 4, 2, 1, bias=False)
                s.bn, s.fc = nn.BatchNorm2d(128), nn.Linear(6272, 1)

            def forward(s, x):
                h = F.leaky_relu(s.bn(s.c2(F.leaky_relu(s.c1(x), 0.2))), 0.2)
                return s.fc(h.flatten(1))

        g, d = G(), D()
        og = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999))
        od = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
        x, one, zero = torch.rand(128, 1, 28, 28) * 2 - 1, torch.ones(128, 1), torch.zeros(128, 1)
        bce = F.binary_cross_entropy_with_logits

        def run():
            fake = g(torch.randn(128, 100))
            loss_d = bce(d(x), one) + bce(d(fake.detach()), zero)
            od.zero_grad(set_to_none=True)
            loss_d.backward()
            od.step()
            d.requires_grad_(False)
            loss_g = bce(d(fake), one)
            og.zero_grad(set_to_none=True)
            loss_g.backward()
            og.step()
            d.requires_grad_(True)
            loss_d.item(), loss_g.item()
        return run

    def gpt_train():
        # nanoGPT's model.py as it runs on torch 1.13 (no flash attention): the same sizes and names, bias=False
        class LayerNorm(nn.Module):
            def __init__(self, n):
                super().__init__()
                self.weight = nn.Parameter(torch.ones(n))

            def forward(self, x):
                return F.layer_norm(x, self.weight.shape, self.weight, None, 1e-5)

        class Block(nn.Module):
            def __init__(self, d, h):
                super().__init__()
                self.h = h
                self.ln_1, self.ln_2 = LayerNorm(d), LayerNorm(d)
                self.c_attn, self.c_proj = nn.Linear(d, 3 * d, bias=False), nn.Linear(d, d, bias=False)
                self.c_fc, self.mlp_proj = nn.Linear(d, 4 * d, bias=False), nn.Linear(4 * d, d, bias=False)
                self.register_buffer('mask', torch.tril(torch.ones(64, 64)).view(1, 1, 64, 64))

            def attn(self, x):
                B, T, C = x.size()
                q, k, v = self.c_attn(x).split(C, dim=2)
                q, k, v = [t.view(B, T, self.h, C // self.h).transpose(1, 2) for t in (q, k, v)]
                att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
                att = F.softmax(att.masked_fill(self.mask[:, :, :T, :T] == 0, float('-inf')), dim=-1)
                return self.c_proj((att @ v).transpose(1, 2).contiguous().view(B, T, C))

            def forward(self, x):
                x = x + self.attn(self.ln_1(x))
                return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x))))

        class GPT(nn.Module):
            def __init__(self):
                super().__init__()
                self.wte, self.wpe = nn.Embedding(65, 128), nn.Embedding(64, 128)
                self.h = nn.ModuleList([Block(128, 4) for _ in range(4)])
                self.ln_f = LayerNorm(128)
                self.lm_head = nn.Linear(128, 65, bias=False)
                self.wte.weight = self.lm_head.weight

            def forward(self, idx):
                x = self.wte(idx) + self.wpe(torch.arange(idx.size(1)))
                for b in self.h:
                    x = b(x)
                return self.lm_head(self.ln_f(x))

        def setup():
            model = GPT()
            ps = list(model.parameters())
            opt = torch.optim.AdamW([dict(params=[p for p in ps if p.dim() >= 2], weight_decay=0.1),
                                     dict(params=[p for p in ps if p.dim() < 2], weight_decay=0.0)], lr=1e-3, betas=(0.9, 0.99))
            x, y = torch.randint(0, 65, (12, 64)), torch.randint(0, 65, (12, 64))

            def run():
                loss = F.cross_entropy(model(x).view(-1, 65), y.view(-1))
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                loss.item()
            return run
        return setup

    def transformer_multi30k():
        class Seq2Seq(nn.Module):
            def __init__(self):
                super().__init__()
                self.src_tok_emb, self.tgt_tok_emb = nn.Embedding(7859, 256), nn.Embedding(5921, 256)
                self.src_pos, self.tgt_pos = nn.Embedding(100, 256), nn.Embedding(100, 256)
                self.drop = nn.Dropout(0.1)
                self.transformer = nn.Transformer(256, 8, 3, 3, 512, 0.1, batch_first=True)
                self.generator = nn.Linear(256, 5921)

            def forward(self, src, tgt):
                pad = src == 0
                s = self.drop(self.src_tok_emb(src) * 16 + self.src_pos(torch.arange(src.size(1))))
                t = self.drop(self.tgt_tok_emb(tgt) * 16 + self.tgt_pos(torch.arange(tgt.size(1))))
                mask = nn.Transformer.generate_square_subsequent_mask(tgt.size(1))
                h = self.transformer(s, t, tgt_mask=mask, src_key_padding_mask=pad, memory_key_padding_mask=pad)
                return self.generator(h)

        def setup():
            model = Seq2Seq()
            opt = torch.optim.Adam(model.parameters(), lr=5e-4)
            src, tgt_in, tgt_out = torch.randint(4, 7859, (128, 14)), torch.randint(4, 5921, (128, 15)), torch.randint(4, 5921, (128 * 15,))

            def run():
                loss = F.cross_entropy(model(src, tgt_in).reshape(-1, 5921), tgt_out)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                loss.item()
            return run
        return setup

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
        'lstm': lstm, 'gru': gru, 'lstm-ptb-train': lstm_ptb_train, 'transformer': transformer, 'mlp-train': mlp_train, 'lenet-train': lenet_train,
        'dcgan-step': dcgan_step,
        'gpt-train': gpt_train(), 'transformer-multi30k-train': transformer_multi30k(),
        'ddpm-train': ddpm_train,
    }
    say('@@note nn.LSTM, nn.GRU, a PTB small LM (Embedding, LSTM, Linear), nn.TransformerEncoderLayer (dropout 0), nn.Sequential models, torch.optim.SGD; the DCGAN, nanoGPT, Multi30k transformer and U-Net steps as the recipes run them')
    opts = timing_options(a.quick)
    for name in [n for n in a.only.split(',') if n]:
        say('@@start ' + name)
        setup = impls.get(name)
        if a.steps > 0 and setup is not None:
            fn = setup()
            fn()
            fn()
            c0, t0 = time.process_time(), time.perf_counter()
            for _ in range(a.steps):
                fn()
            st = dict(name=name, wallMs=(time.perf_counter() - t0) * 1000 / a.steps, cpuMs=(time.process_time() - c0) * 1000 / a.steps, n=a.steps)
            say('@@steps ' + json.dumps(st))
            sys.stderr.write('  %-14s %-18s %.1f ms wall, %.1f ms CPU per run (%d runs)\n' % ('pytorch-%dt' % a.threads, name, st['wallMs'], st['cpuMs'], a.steps))
            continue
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
