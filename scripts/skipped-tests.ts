// Prints the tests a vitest run skipped, from its JSON report (`--reporter=json`), so the end of
// `npm run test:all` says which tests did not run and, where their titles carry it, why.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface JsonReport {
  testResults: {
    name: string;
    assertionResults: { fullName: string; status: string }[];
  }[];
}

/** `file > test title` of every skipped or todo test in the report. */
export function skippedTests(report: JsonReport, root: string): string[] {
  const out: string[] = [];
  for (const file of report.testResults)
    for (const t of file.assertionResults)
      if (t.status === 'skipped' || t.status === 'pending' || t.status === 'todo')
        out.push(`${relative(root, file.name)} > ${t.fullName}`);
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file] = process.argv.slice(2);
  const report = JSON.parse(readFileSync(file, 'utf8')) as JsonReport;
  const skipped = skippedTests(report, process.cwd());
  if (skipped.length === 0) console.log('No test was skipped.');
  else {
    console.log(`${skipped.length} test${skipped.length === 1 ? '' : 's'} skipped:`);
    for (const line of skipped) console.log(`  ${line}`);
  }
}
