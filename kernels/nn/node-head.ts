// Node classification head: the last layer's outputs are the seeds' class logits, trained with
// softmax cross-entropy against integer labels (-1 marks a seed without a label).

import * as tf from '@tensorflow/tfjs-core';
import { softmaxCrossEntropy, type LogitsCapture } from './softmax-cross-entropy.js';
import { ShapeError } from '../tf/errors.js';

export interface NodeTaskConfig {
  kind: 'node';
}

/** Labels of the seeds, in seed order; -1 = no label (excluded from the loss). */
export interface NodeTarget {
  labels: Int32Array;
}

export class NodeClassificationHead {
  loss(logits: tf.Tensor2D, target: NodeTarget, capture?: LogitsCapture): tf.Scalar {
    if (!(target.labels instanceof Int32Array))
      throw new ShapeError('target.labels', 'node classification needs Int32Array labels');
    return softmaxCrossEntropy(logits, target.labels, capture);
  }
}
