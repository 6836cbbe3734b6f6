// Rewrites docs/metrics.md from the metric catalogue: `npx tsx deploy/gen-docs.ts`.
// A test fails while the committed page and the catalogue disagree.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { metricsDoc } from '../actors/metrics-catalogue.js';

const target = fileURLToPath(new URL('../docs/metrics.md', import.meta.url));
writeFileSync(target, `${metricsDoc()}\n`);
console.log(`wrote ${target}`);
