// A pool task for the ordered-batches test: returns each batch's first id, and fails on the batch that
// holds node 500, as a thread that cannot read a node's data would.
import type { EmbedTask } from '../../../actors/inference/embed-task.js';

export default function failingEmbedTask(task: EmbedTask): Float32Array {
  if (task.first <= 500 && 500 < task.first + task.count)
    throw new Error('feature row of node 500 unreadable');
  return new Float32Array([task.first]);
}
