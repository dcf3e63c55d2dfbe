# PyTorch CPU inference of the encoder bench/embed-bench.ts measures: torchvision's ResNet-18
# topology (written out here: Debian's python3-torch comes without torchvision) with MoCo's
# 128-d head and F.normalize, eval mode, torch.inference_mode, random NCHW images.
# Prints one JSON line: {"engine": "pytorch", "img_per_s": ..., ...}. With --serve it warms up,
# prints {"ready": true, ...} and then times one batch per line read on stdin, answering with the
# milliseconds of wall and CPU time, so that bench/embed-bench.ts can interleave it with the other engines.
# The model runs frozen (torch.jit.freeze of the traced eval-mode network, optimize_for_inference).
# Run: /usr/bin/python3 bench/torch_embed_ref.py [--threads 2] [--batch 256] [--size 64] [--batches 5] [--serve]
import argparse, json, os, statistics, sys, time

import torch, torch.nn as nn, torch.nn.functional as F

from refenv import env_report


class BasicBlock(nn.Module):
    def __init__(self, cin, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or cin != planes:
            self.downsample = nn.Sequential(nn.Conv2d(cin, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        return F.relu(h + (x if self.downsample is None else self.downsample(x)))


class ResNet18(nn.Module):
    def __init__(self, out_dim=128):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        layers, cin = [], 64
        for stage, planes in enumerate([64, 128, 256, 512]):
            blocks = [BasicBlock(cin, planes, 1 if stage == 0 else 2), BasicBlock(planes, planes, 1)]
            layers.append(nn.Sequential(*blocks))
            cin = planes
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.fc = nn.Linear(512, out_dim)

    def forward(self, x):
        h = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        h = self.layer4(self.layer3(self.layer2(self.layer1(h))))
        features = torch.flatten(F.adaptive_avg_pool2d(h, 1), 1)  # NxD
        return features, F.normalize(self.fc(features), dim=1)  # NxoutDim


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--batch', type=int, default=256)
    p.add_argument('--size', type=int, default=64)
    p.add_argument('--batches', type=int, default=5, help='timed batches after one warm-up')
    p.add_argument('--serve', action='store_true', help='time one batch per stdin line')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    x = torch.randn(a.batch, 3, a.size, a.size)
    with torch.inference_mode():
        # The fastest inference form PyTorch offers: traced, frozen (BN folded into the convolutions), optimised.
        model = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(ResNet18().eval(), x)))
    info = dict(engine='pytorch', device=f'CPU, {torch.get_num_threads()} threads', torch=torch.__version__, batch=a.batch, size=a.size)

    def once():
        t0, c0 = time.perf_counter(), time.process_time()
        model(x)
        return (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000  # wall, CPU of all threads

    with torch.inference_mode():
        once()  # warm-up: oneDNN picks and caches its kernels
        once()
        info.update(env_report())
        if a.serve:
            print(json.dumps(dict(ready=True, **info)), flush=True)
            for _ in sys.stdin:
                ms, cpu_ms = once()
                print(json.dumps(dict(ms=ms, cpu_ms=cpu_ms)), flush=True)
            return
        times = [once()[0] for _ in range(a.batches)]
    med = statistics.median(times)
    print(json.dumps(dict(**info, batches=a.batches, median_ms=med, img_per_s=a.batch / med * 1000, load=os.getloadavg()[0])))


if __name__ == '__main__':
    main()
