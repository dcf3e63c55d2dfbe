// The learning rate of an epoch, as the official adjust_learning_rate: step decay (x0.1 at
// each milestone passed) or a half-cosine from lr to 0 over the run.
import type { TrainConfig } from '../../../api/contract';

export function learningRate(config: Pick<TrainConfig, 'lr' | 'schedule' | 'lrSteps' | 'epochs'>, epoch: number): number {
  if (config.schedule === 'cosine') return config.lr * 0.5 * (1 + Math.cos((Math.PI * epoch) / config.epochs));
  const passed = config.lrSteps.filter((milestone) => epoch >= milestone).length;
  return config.lr * 0.1 ** passed;
}
