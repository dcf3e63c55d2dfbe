// The notes an export shows beside its files: how to load what was written.
import { join } from 'node:path';
import type { ExportWeightsRequest } from '../../api/contract';

export function notesFor(format: ExportWeightsRequest['format'], readme: string, dir: string): string {
  if (format === 'tfjs') {
    return [
      'A TF.js LayersModel with two outputs, features and embedding (input NHWC, ImageNet-normalised):',
      '',
      `const model = await tf.loadLayersModel('file://${join(dir, 'model.json')}');`,
      '',
      readme,
    ].join('\n');
  }
  if (format === 'onnx') {
    return [
      'An ONNX graph (opset 17, BatchNorm folded) with outputs features and embedding; input NCHW float32, ImageNet-normalised:',
      '',
      'import onnxruntime as ort',
      `session = ort.InferenceSession("${join(dir, 'encoder.onnx')}")`,
      '',
      readme,
    ].join('\n');
  }
  return readme;
}

/** How to train with the official PyTorch MoCo code on this subset, on one machine or many. */
export function scaleOutNotes(out: string, layout: 'tree' | 'list', images: number, classes: number): string {
  const data = layout === 'tree' ? out : '<an ImageFolder tree made from files.csv>';
  return [
    `${images} images in ${classes} classes${layout === 'tree' ? ` under ${join(out, 'train')}` : ` listed in ${join(out, 'files.csv')}`}.`,
    '',
    'Train with the official MoCo code (github.com/facebookresearch/moco), which reads <data>/train as an ImageFolder:',
    '',
    '# one machine, all its GPUs (MoCo v2 settings):',
    'python main_moco.py -a resnet50 --lr 0.03 --batch-size 256 --mlp --moco-t 0.2 --aug-plus --cos \\',
    `  --dist-url 'tcp://localhost:10001' --multiprocessing-distributed --world-size 1 --rank 0 ${data}`,
    '',
    '# N machines: run on each, with --rank 0 on the first and 1..N-1 on the others:',
    'python main_moco.py -a resnet50 --lr 0.03 --batch-size 256 --mlp --moco-t 0.2 --aug-plus --cos \\',
    `  --dist-url 'tcp://<first machine>:10001' --multiprocessing-distributed --world-size N --rank <i> ${data}`,
    '',
    "Then bring the encoder back: 'Import weights' with the checkpoint (e.g. checkpoint_0199.pth.tar), or",
    'moco-studio import checkpoint_0199.pth.tar',
  ].join('\n');
}
