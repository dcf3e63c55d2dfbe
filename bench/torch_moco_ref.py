# The PyTorch reference of bench/train-bench.ts: MoCo v1 training steps and eval-mode embedding
# throughput of ResNet-18 on the CPU, timed the same way (warm-up, then the median of timed steps).
# MoCo follows the official code (facebookresearch/moco, builder.py + main_moco.py): query and key
# encoders, momentum update of the key encoder, a queue of K keys, InfoNCE with temperature T as
# cross-entropy over (1+K) logits, SGD with momentum 0.9 and weight decay 1e-4. Shuffling BN on
# one device is split BN as in the official CIFAR-10 demo (SplitBatchNorm in every BN layer of
# both encoders) with the keys shuffled across the groups before the key encoder.
# Inputs are pre-made random views: no augmentation is timed.
#
# Inference runs a frozen TorchScript model (torch.jit.freeze of the traced eval-mode network,
# then optimize_for_inference) under torch.inference_mode: the fastest form PyTorch offers.
#
# Run: /usr/bin/python3 bench/torch_moco_ref.py --setting a|b|infer [--steps N] [--warmup W]
#      [--threads 2] [--bn-groups G] [--serve]. Prints one JSON line; with --serve it warms up,
#      prints {"ready": true, ...}, then runs the number of steps read on each stdin line and
#      answers with their wall and CPU seconds, so bench/train-bench.ts can interleave the two sides.
import argparse, json, statistics, sys, time

from refenv import env_report
from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F

SETTINGS = {
    # name: (stem, input px, batch, K)
    'a': ('imagenet', 64, 64, 4096),
    'b': ('small', 32, 128, 4096),
    'infer': ('imagenet', 64, 256, 0),
}


class SplitBatchNorm(nn.BatchNorm2d):
    """BatchNorm2d whose training batch normalises in num_splits groups (official MoCo demo)."""

    def __init__(self, num_features, num_splits, **kw):
        super().__init__(num_features, **kw)
        self.num_splits = num_splits

    def forward(self, x):
        n, c, h, w = x.shape
        if not self.training:
            return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, False, self.momentum, self.eps)
        g = self.num_splits
        mean_split = self.running_mean.repeat(g)
        var_split = self.running_var.repeat(g)
        out = F.batch_norm(x.view(-1, c * g, h, w), mean_split, var_split, self.weight.repeat(g), self.bias.repeat(g),
                           True, self.momentum, self.eps).view(n, c, h, w)
        self.running_mean.data.copy_(mean_split.view(g, c).mean(dim=0))
        self.running_var.data.copy_(var_split.view(g, c).mean(dim=0))
        return out


def resnet18(num_classes, norm_layer):
    """torchvision's resnet18; an equivalent definition where torchvision is not installed."""
    try:
        import torchvision
        return torchvision.models.resnet18(num_classes=num_classes, norm_layer=norm_layer), 'torchvision ' + torchvision.__version__
    except ImportError:
        return _ResNet18(num_classes, norm_layer), 'inline torchvision-equivalent resnet18 (torchvision not installed)'


class _BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride, norm_layer):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = norm_layer(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = norm_layer(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), norm_layer(cout))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class _ResNet18(nn.Module):
    def __init__(self, num_classes, norm_layer):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = norm_layer(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        layers, cin = [], 64
        for i, cout in enumerate([64, 128, 256, 512]):
            stride = 1 if i == 0 else 2
            layers.append(nn.Sequential(_BasicBlock(cin, cout, stride, norm_layer), _BasicBlock(cout, cout, 1, norm_layer)))
            cin = cout
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def build_encoder(stem, dim, bn_groups):
    norm = partial(SplitBatchNorm, num_splits=bn_groups) if bn_groups > 1 else nn.BatchNorm2d
    model, source = resnet18(dim, norm)
    if stem == 'small':
        model.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        model.maxpool = nn.Identity()
    return model, source


class MoCo(nn.Module):
    """builder.MoCo of the official code, with the DDP shuffle done on one device."""

    def __init__(self, stem, bn_groups, dim=128, K=4096, m=0.999, T=0.07, build=build_encoder):
        super().__init__()
        self.K, self.m, self.T = K, m, T
        self.encoder_q, self.source = build(stem, dim, bn_groups)
        self.encoder_k, _ = build(stem, dim, bn_groups)
        for param_q, param_k in zip(self.encoder_q.parameters(), self.encoder_k.parameters()):
            param_k.data.copy_(param_q.data)
            param_k.requires_grad = False
        self.register_buffer('queue', F.normalize(torch.randn(dim, K), dim=0))
        self.register_buffer('queue_ptr', torch.zeros(1, dtype=torch.long))

    @torch.no_grad()
    def _momentum_update_key_encoder(self):
        for param_q, param_k in zip(self.encoder_q.parameters(), self.encoder_k.parameters()):
            param_k.data = param_k.data * self.m + param_q.data * (1. - self.m)

    @torch.no_grad()
    def _dequeue_and_enqueue(self, keys):
        batch_size = keys.shape[0]
        ptr = int(self.queue_ptr)
        assert self.K % batch_size == 0
        self.queue[:, ptr:ptr + batch_size] = keys.T
        self.queue_ptr[0] = (ptr + batch_size) % self.K

    def forward(self, im_q, im_k):
        q = F.normalize(self.encoder_q(im_q), dim=1)  # NxC
        with torch.no_grad():
            self._momentum_update_key_encoder()
            idx_shuffle = torch.randperm(im_k.shape[0], device=im_k.device)
            idx_unshuffle = torch.argsort(idx_shuffle)
            k = F.normalize(self.encoder_k(im_k[idx_shuffle]), dim=1)[idx_unshuffle]  # NxC
        l_pos = torch.einsum('nc,nc->n', [q, k]).unsqueeze(-1)  # Nx1
        l_neg = torch.einsum('nc,ck->nk', [q, self.queue.clone().detach()])  # NxK
        logits = torch.cat([l_pos, l_neg], dim=1) / self.T  # Nx(1+K)
        labels = torch.zeros(logits.shape[0], dtype=torch.long, device=logits.device)
        self._dequeue_and_enqueue(k)
        return logits, labels


def reset_peak_rss():
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False


def peak_rss():
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def timed(step, steps):
    """Wall and CPU seconds (all threads of this process) of each of `steps` calls."""
    wall, cpu = [], []
    for _ in range(steps):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return wall, cpu


def make_train(stem, px, batch, K, bn_groups):
    torch.manual_seed(0)
    model = MoCo(stem, bn_groups, K=K)
    lr = 0.03 * batch / 256  # the paper's rule, as the app's scaledLr
    optimizer = torch.optim.SGD(model.encoder_q.parameters(), lr, momentum=0.9, weight_decay=1e-4)
    criterion = nn.CrossEntropyLoss()
    views = [(torch.randn(batch, 3, px, px), torch.randn(batch, 3, px, px)) for _ in range(2)]
    model.train()
    i = [0]

    def step():
        im_q, im_k = views[i[0] % len(views)]
        i[0] += 1
        logits, labels = model(im_q, im_k)
        loss = criterion(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        loss.item()

    return step, model.source


def make_infer(stem, px, batch):
    torch.manual_seed(0)
    model, source = build_encoder(stem, 128, 1)
    model.eval()
    x = torch.randn(batch, 3, px, px)
    with torch.inference_mode():
        frozen = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(model, x)))

    def step():
        with torch.inference_mode():
            F.normalize(frozen(x), dim=1).sum().item()

    return step, source + ', frozen TorchScript (optimize_for_inference)'


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--setting', choices=sorted(SETTINGS), required=True)
    p.add_argument('--steps', type=int, default=3)
    p.add_argument('--warmup', type=int, default=1)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--bn-groups', type=int, default=1)
    p.add_argument('--batch', type=int, default=0, help='override the setting\'s batch')
    p.add_argument('--serve', action='store_true', help='run the steps asked for on stdin, one request per line')
    args = p.parse_args()
    stem, px, batch, K = SETTINGS[args.setting]
    batch = args.batch or batch
    torch.set_num_threads(args.threads)
    reset_peak_rss()
    if args.setting == 'infer':
        step, source = make_infer(stem, px, batch)
    else:
        step, source = make_train(stem, px, batch, K, args.bn_groups)
    info = {
        'setting': args.setting, 'stem': stem, 'px': px, 'batch': batch, 'K': K, 'bnGroups': args.bn_groups,
        'threads': torch.get_num_threads(), 'torch': torch.__version__, 'model': source,
    }
    timed(step, args.warmup)
    info.update(env_report())
    if args.serve:
        print(json.dumps(dict(ready=True, **info)), flush=True)
        for line in sys.stdin:
            if not line.strip():
                break
            wall, cpu = timed(step, int(line))
            print(json.dumps({'wall': wall, 'cpu': cpu, 'peakRssBytes': peak_rss()}), flush=True)
        return
    wall, cpu = timed(step, args.steps)
    med = statistics.median(wall)
    print(json.dumps(dict(info, stepSeconds=wall, cpuSeconds=cpu, medianSeconds=med, imagesPerSec=batch / med, peakRssBytes=peak_rss())))


if __name__ == '__main__':
    sys.exit(main())
