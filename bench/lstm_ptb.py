"""PyTorch's side of bench/lstm_ptb.ts: the PTB small training step (Zaremba et al.) on the real data.

Usage: lstm_ptb.py --data PTB_DIR --threads N --steps K --skip S
Reads ptb.train.txt (each line's words + <eos>, vocabulary in order of first appearance), cuts it into 20 streams,
and runs K training steps of 20 time steps each (after S warm-up steps) exactly as src/train/recipes/lstm.ts does:
embedding 200 → 2-layer LSTM 200 → Linear 10k, every weight U(−0.1, 0.1), cross-entropy × 20 (summed over the
steps), clip 5, SGD lr 1, state carried and detached. Prints one JSON line: wall and CPU seconds per step.
"""
import argparse
import json
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', required=True)
    ap.add_argument('--threads', type=int, required=True)
    ap.add_argument('--steps', type=int, required=True)
    ap.add_argument('--skip', type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    words = []
    with open(os.path.join(a.data, 'ptb.train.txt')) as f:
        for line in f:
            words.extend(line.split() + ['<eos>'])
    vocab = {}
    for w in words:
        vocab.setdefault(w, len(vocab))
    V, B, T, H = len(vocab), 20, 20, 200
    ids = torch.tensor([vocab[w] for w in words])
    L = len(ids) // B
    data = ids[:L * B].view(B, L).t().contiguous()  # (L, B): stream b is column b

    class Lm(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Embedding(V, H)
            self.rnn = nn.LSTM(H, H, num_layers=2)
            self.decoder = nn.Linear(H, V)
            for p in self.parameters():
                nn.init.uniform_(p, -0.1, 0.1)

        def forward(self, x, state):
            out, state = self.rnn(self.encoder(x), state)
            return self.decoder(out), state

    model = Lm()
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    state = None
    wall = cpu = 0.0
    for i in range(a.skip + a.steps):
        if i == a.skip:
            w0, c0 = time.perf_counter(), time.process_time()
        x, y = data[i * T:(i + 1) * T], data[i * T + 1:(i + 1) * T + 1]
        logits, state = model(x, state)
        state = tuple(s.detach() for s in state)
        loss = F.cross_entropy(logits.reshape(T * B, V), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        (loss * T).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        loss.item()
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    print(json.dumps(dict(library='pytorch %s' % torch.__version__, threads=a.threads, steps=a.steps, wallPerStep=wall / a.steps,
                          cpuPerStep=cpu / a.steps, windowsPerEpoch=(L - 1) // T, loss=float(loss))))


if __name__ == '__main__':
    main()
