import { describe, expect, it } from 'vitest';
import { adviceFor, REASON_ADVICE } from '../../../src/application/report/reasonAdvice.js';
import { OUTLIER_REASONS } from '../../../src/compute/outlierReasons.js';

describe('what to do, per reason', () => {
  it('advises every reason ridescan gives, in one line, and no reason it does not give', () => {
    for (const reason of OUTLIER_REASONS) {
      const advice = adviceFor(reason);
      expect(advice, reason).toMatch(/\S/);
      expect(advice, reason).not.toContain('\n');
    }
    expect(Object.keys(REASON_ADVICE).sort()).toEqual([...OUTLIER_REASONS].sort());
    // every reason's line is its own
    expect(new Set(Object.values(REASON_ADVICE)).size).toBe(OUTLIER_REASONS.length);
    expect(adviceFor('context_pair')).toBeNull();
    expect(adviceFor('toString')).toBeNull();
  });
});
