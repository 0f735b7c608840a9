"""The DDPM U-Net of src/models/unet.ts in PyTorch (same module and parameter names, 793,697 parameters).

Used by the bench (torch_bench.py, workload ddpm-unet-train) and by the fixture script test/fixtures/gen_unet.py.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def timestep_embedding(t, dim):
    h = dim // 2
    w = torch.exp(-math.log(10000) * torch.arange(h, dtype=torch.float64) / (h - 1))
    a = t.double()[:, None] * w[None, :]
    return torch.cat([torch.sin(a), torch.cos(a)], 1).float()


class ResBlock(nn.Module):
    def __init__(self, ci, co, td, g):
        super().__init__()
        self.norm1 = nn.GroupNorm(g, ci)
        self.conv1 = nn.Conv2d(ci, co, 3, padding=1)
        self.temb_proj = nn.Linear(td, co)
        self.norm2 = nn.GroupNorm(g, co)
        self.conv2 = nn.Conv2d(co, co, 3, padding=1)
        self.skip = nn.Conv2d(ci, co, 1) if ci != co else None

    def forward(self, x, ta):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.temb_proj(ta)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return h + (self.skip(x) if self.skip is not None else x)


class AttnBlock(nn.Module):
    def __init__(self, c, g):
        super().__init__()
        self.norm = nn.GroupNorm(g, c)
        self.attn = nn.MultiheadAttention(c, 1, batch_first=True)

    def forward(self, x):
        b, c, hh, ww = x.shape
        tok = self.norm(x).reshape(b, c, hh * ww).permute(0, 2, 1)
        a, _ = self.attn(tok, tok, tok, need_weights=False)
        return x + a.permute(0, 2, 1).reshape(b, c, hh, ww)


class UNet(nn.Module):
    def __init__(self, ch=1, widths=(32, 64, 64), tf=32, td=128, g=8):
        super().__init__()
        c1, c2, c3 = widths
        self.tf = tf
        self.temb_lin1 = nn.Linear(tf, td)
        self.temb_lin2 = nn.Linear(td, td)
        self.conv_in = nn.Conv2d(ch, c1, 3, padding=1)
        self.down1 = ResBlock(c1, c1, td, g)
        self.downsample1 = nn.Conv2d(c1, c1, 3, stride=2, padding=1)
        self.down2 = ResBlock(c1, c2, td, g)
        self.downsample2 = nn.Conv2d(c2, c2, 3, stride=2, padding=1)
        self.down3 = ResBlock(c2, c3, td, g)
        self.mid1 = ResBlock(c3, c3, td, g)
        self.mid_attn = AttnBlock(c3, g)
        self.mid2 = ResBlock(c3, c3, td, g)
        self.up3 = ResBlock(c3 + c3, c3, td, g)
        self.upsample2 = nn.Conv2d(c3, c3, 3, padding=1)
        self.up2 = ResBlock(c3 + c2, c2, td, g)
        self.upsample1 = nn.Conv2d(c2, c2, 3, padding=1)
        self.up1 = ResBlock(c2 + c1, c1, td, g)
        self.norm_out = nn.GroupNorm(g, c1)
        self.conv_out = nn.Conv2d(c1, ch, 3, padding=1)

    def forward(self, x, t):
        temb = self.temb_lin2(F.silu(self.temb_lin1(timestep_embedding(t, self.tf))))
        ta = F.silu(temb)
        h1 = self.down1(self.conv_in(x), ta)
        h2 = self.down2(self.downsample1(h1), ta)
        h3 = self.down3(self.downsample2(h2), ta)
        h = self.mid2(self.mid_attn(self.mid1(h3, ta)), ta)
        h = self.up3(torch.cat([h, h3], 1), ta)
        h = self.upsample2(F.interpolate(h, scale_factor=2, mode='nearest'))
        h = self.up2(torch.cat([h, h2], 1), ta)
        h = self.upsample1(F.interpolate(h, scale_factor=2, mode='nearest'))
        h = self.up1(torch.cat([h, h1], 1), ta)
        return self.conv_out(F.silu(self.norm_out(h)))
