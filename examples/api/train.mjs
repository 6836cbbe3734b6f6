// Weft as a library: generates a small homophilous graph, trains a 2-layer GraphSAGE node classifier
// on it for a few epochs, and prints the test accuracy. Run: npm install && npm start
import { applyOverrides, defaultJobSpec, synthPowerlaw, train } from 'weft';

const graph = 'data/powerlaw';
await synthPowerlaw({ nodes: 5000, edges: 50000, featureDim: 32, classes: 5, seed: 1 }, graph, {
  replace: true,
});

const spec = applyOverrides(defaultJobSpec(), {
  name: 'api-example',
  graph,
  out: 'runs/api-example',
  task: 'node',
  'model.hidden': 32,
  'sampling.fanouts': [10, 5],
  'train.epochs': 5,
});
const results = await train(spec, {
  onEpoch: (e) => console.log(`epoch ${e.epoch + 1}: val ${JSON.stringify(e.val)}`),
});
console.log(`test accuracy ${results.test.accuracy.toFixed(3)}; run in ${results.run_dir}`);
