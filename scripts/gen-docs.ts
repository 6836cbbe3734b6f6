// Rewrites the generated reference pages: docs/metrics.md from the metric catalogue and
// docs/job-spec.md from the job-spec declaration (`npx tsx scripts/gen-docs.ts`).
// Tests fail while a committed page and its source disagree.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { jobSpecPage } from '../actors/job-spec.js';
import { metricsDoc } from '../actors/metrics-catalogue.js';

for (const [file, text] of [
  ['../docs/metrics.md', metricsDoc()],
  ['../docs/job-spec.md', jobSpecPage()],
] as const) {
  const target = fileURLToPath(new URL(file, import.meta.url));
  writeFileSync(target, `${text}\n`);
  console.log(`wrote ${target}`);
}
