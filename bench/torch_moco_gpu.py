# The PyTorch CUDA reference of bench/gpu-check.ts: the whole MoCo v1 step on one GPU, as the
# official code runs it (torch_moco_ref.MoCo: momentum update, shuffled keys, InfoNCE against the
# queue, SGD with momentum and weight decay) plus the v1 augmentation of both views done on the
# GPU from uint8 batches (random resized crop 0.2-1 by roi_align, flip, colour jitter 0.4,
# grayscale p 0.2), as the app does on its engine. torchvision ResNet-18/50 with split BN.
# Times with CUDA synchronisation; prints one JSON line with img/s and the peak GPU memory.
#
# Run: python3 bench/torch_moco_gpu.py --arch resnet50 --px 224 --batch 64 --K 65536 [--steps 10] [--warmup 3]
import argparse, json, statistics, sys
from functools import partial

import torch
import torch.nn as nn

from torch_moco_ref import MoCo, SplitBatchNorm

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def build(arch, bn_groups):
    """The encoder factory torch_moco_ref.MoCo calls: torchvision's ResNet with split BN."""
    import torchvision

    def encoder(stem, dim, groups):
        norm = partial(SplitBatchNorm, num_splits=bn_groups) if bn_groups > 1 else nn.BatchNorm2d
        return getattr(torchvision.models, arch)(num_classes=dim, norm_layer=norm), 'torchvision ' + torchvision.__version__

    return encoder


def augment(images, px, gen):
    """uint8 NxSxSx3 on the GPU -> normalised Nx3xpxxpx float views (MoCo v1)."""
    from torchvision.ops import roi_align
    n, s = images.shape[0], images.shape[1]
    x = images.permute(0, 3, 1, 2).float() / 255
    area = torch.empty(n, device=x.device).uniform_(0.2, 1.0, generator=gen) * s * s
    ratio = torch.exp(torch.empty(n, device=x.device).uniform_(-0.2877, 0.2877, generator=gen))
    w = torch.sqrt(area * ratio).clamp(max=s)
    h = torch.sqrt(area / ratio).clamp(max=s)
    x0 = torch.rand(n, device=x.device, generator=gen) * (s - w)
    y0 = torch.rand(n, device=x.device, generator=gen) * (s - h)
    boxes = torch.stack([torch.arange(n, device=x.device, dtype=torch.float), x0, y0, x0 + w, y0 + h], 1)
    v = roi_align(x, boxes, (px, px), aligned=True)
    flip = torch.rand(n, device=x.device, generator=gen) < 0.5
    v = torch.where(flip.view(n, 1, 1, 1), v.flip(3), v)
    j = lambda: torch.empty(n, 1, 1, 1, device=x.device).uniform_(0.6, 1.4, generator=gen)
    grey = (v * torch.tensor([0.299, 0.587, 0.114], device=x.device).view(1, 3, 1, 1)).sum(1, keepdim=True)
    v = (v * j()).clamp(0, 1)  # brightness
    v = ((v - grey.mean((2, 3), keepdim=True)) * j() + grey.mean((2, 3), keepdim=True)).clamp(0, 1)  # contrast
    v = ((v - grey) * j() + grey).clamp(0, 1)  # saturation
    to_grey = torch.rand(n, device=x.device, generator=gen) < 0.2
    v = torch.where(to_grey.view(n, 1, 1, 1), grey.expand_as(v), v)
    return (v - MEAN.to(x.device)) / STD.to(x.device)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--arch', choices=['resnet18', 'resnet50'], required=True)
    p.add_argument('--px', type=int, required=True)
    p.add_argument('--batch', type=int, required=True)
    p.add_argument('--K', type=int, required=True)
    p.add_argument('--steps', type=int, default=10)
    p.add_argument('--warmup', type=int, default=3)
    args = p.parse_args()
    if not torch.cuda.is_available():
        print(json.dumps({'error': f'torch {torch.__version__} sees no CUDA device'}))
        sys.exit(0)
    dev = torch.device('cuda')
    torch.manual_seed(0)
    groups = max(1, args.batch // 32)  # the app's split BN: groups of about 32 images
    model = MoCo('imagenet', groups, K=args.K, build=build(args.arch, groups)).to(dev).train()
    optimizer = torch.optim.SGD(model.encoder_q.parameters(), 0.03 * args.batch / 256, momentum=0.9, weight_decay=1e-4)
    criterion = nn.CrossEntropyLoss()
    side = round(args.px * 1.15)
    gen = torch.Generator(device=dev).manual_seed(1)
    batches = [torch.randint(0, 256, (args.batch, side, side, 3), dtype=torch.uint8, device=dev, generator=gen) for _ in range(2)]
    i = [0]

    def step():
        images = batches[i[0] % 2]
        i[0] += 1
        logits, labels = model(augment(images, args.px, gen), augment(images, args.px, gen))
        loss = criterion(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        loss.item()  # the app reads its loss back every step too

    for _ in range(args.warmup):
        step()
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    times = []
    for _ in range(args.steps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        step()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end) / 1000)
    med = statistics.median(times)
    print(json.dumps({
        'imagesPerSec': args.batch / med, 'medianSeconds': med, 'peakGpuBytes': torch.cuda.max_memory_allocated(),
        'torch': torch.__version__, 'device': torch.cuda.get_device_name(0),
    }))


if __name__ == '__main__':
    main()
