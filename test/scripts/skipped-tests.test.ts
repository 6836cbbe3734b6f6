import { describe, expect, it } from 'vitest';
import { skippedTests } from '../../scripts/skipped-tests.js';

describe('scripts/skipped-tests.ts', () => {
  it('lists every skipped test with its file, the reason its title carries included', () => {
    const report = {
      testResults: [
        {
          name: '/repo/test/graph-store/cora.test.ts',
          assertionResults: [
            {
              fullName: 'Cora (skipped: ../shared/data/cora absent) builds',
              status: 'skipped',
            },
            { fullName: 'Cora reads', status: 'passed' },
          ],
        },
        {
          name: '/repo/test/x.test.ts',
          assertionResults: [
            { fullName: 'later', status: 'todo' },
            { fullName: 'broken', status: 'failed' },
          ],
        },
      ],
    };
    expect(skippedTests(report, '/repo')).toEqual([
      'test/graph-store/cora.test.ts > Cora (skipped: ../shared/data/cora absent) builds',
      'test/x.test.ts > later',
    ]);
  });
});
