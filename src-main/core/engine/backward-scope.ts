// Freeing a gradient as soon as its one reader is done. TF.js keeps every gradient of a
// backward pass until the pass ends, so a ResNet's peak memory holds one gradient per
// activation; a kernel whose output has one reader (a convolution's output feeds its BN, a
// BN's output its next layer) can free the gradient of that output once it has used it.
import * as tf from '@tensorflow/tfjs';

/** The engine's scope stack (not in TF.js's typings), read to tell its own gradients from a caller's. */
interface EngineScopes {
  state?: { activeScope?: { name?: string; id?: number } | null };
}

/**
 * True when `dy` was made by the backward pass now running (engine.gradients' 'backward' scope
 * holds it and nothing kept it); call it from a gradFunc's body, not from its closures (those
 * run in scopes of their own). A dy passed in by the caller of tf.grad answers false, and so
 * does every tensor should a TF.js version lay its engine out otherwise (nothing is freed early).
 */
export function madeByBackward(dy: tf.Tensor): boolean {
  const scope = (tf.engine() as unknown as EngineScopes).state?.activeScope;
  const t = dy as unknown as { scopeId?: number; kept: boolean };
  return scope?.name === 'backward' && scope.id !== undefined && t.scopeId === scope.id && t.kept === false;
}
