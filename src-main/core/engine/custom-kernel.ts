// The engine's own kernels (MocoConv2D, the split batch norm): the gradient is registered once
// for every backend, the forward kernel on each backend the first time an op runs there.
import * as tf from '@tensorflow/tfjs';

type GradConfig = Parameters<typeof tf.registerGradient>[0];
type KernelFunc = Parameters<typeof tf.registerKernel>[0]['kernelFunc'];

const withGradient = new Set<string>();

/** Registers `grad` (once) and, unless `backendName` has it already, the kernel `kernelFunc()` gives. */
export function registerCustomKernel(grad: GradConfig, backendName: string, kernelFunc: () => KernelFunc): void {
  if (!withGradient.has(grad.kernelName)) {
    tf.registerGradient(grad);
    withGradient.add(grad.kernelName);
  }
  if (tf.getKernel(grad.kernelName, backendName)) return;
  tf.registerKernel({ kernelName: grad.kernelName, backendName, kernelFunc: kernelFunc() });
}
