import fc from 'fast-check';
import {
  applyMinShare,
  limitStepUp,
  parseGuardrails,
  sanitizeWeight,
  toIntegerWeights,
} from '../../lambda/guardrails';

const sum = (values: readonly number[]) => values.reduce((total, v) => total + v, 0);

describe('toIntegerWeights', () => {
  test('scales shares to integer weights that sum to 999 by largest remainder', () => {
    expect(toIntegerWeights([1 / 3, 1 / 3, 1 / 3], [true, true, true], 0)).toEqual([333, 333, 333]);
    expect(toIntegerWeights([0.5, 0.5], [true, true], 0)).toEqual([500, 499]);
    expect(toIntegerWeights([0.1235, 0.8765], [true, true], 0)).toEqual([123, 876]);
  });

  test('gives 0 to a group with share 0 and at least 1 to any group with a share', () => {
    expect(toIntegerWeights([0, 0.9999, 0.0001], [true, true, true], 0)).toEqual([0, 998, 1]);
  });

  test('keeps a live group at minShare even when rounding would drop it below', () => {
    const weights = toIntegerWeights([0.02, 0.49, 0.49], [true, true, true], 0.02);
    expect(weights[0] / sum(weights)).toBeGreaterThanOrEqual(0.02);
    expect(sum(weights)).toBe(999);
  });

  test('lowers the total below 999 when five groups at minShare 0.2 cannot all fit in 999', () => {
    const weights = toIntegerWeights(
      [0.2, 0.2, 0.2, 0.2, 0.2],
      [true, true, true, true, true],
      0.2,
    );
    expect(weights).toEqual([199, 199, 199, 199, 199]);
  });
});

test('toIntegerWeights keeps a group with a smaller minimum at its share, at least 1', () => {
  expect(toIntegerWeights([0.002, 0.998], [true, true], [0.002, 0.05])).toEqual([2, 997]);
  expect(toIntegerWeights([0.0001, 0.9999], [true, true], [0, 0.05])).toEqual([1, 998]);
});

describe('applyMinShare', () => {
  test('raises a live group to minShare and takes the difference from the others by their excess', () => {
    const shares = applyMinShare([0, 0.5, 0.5], [true, true, true], 0.1);
    expect(shares[0]).toBeCloseTo(0.1);
    expect(shares[1]).toBeCloseTo(0.45);
    expect(shares[2]).toBeCloseTo(0.45);
  });

  test('leaves a group that is not live at 0', () => {
    expect(applyMinShare([0, 1], [false, true], 0.1)).toEqual([0, 1]);
  });

  test('takes a minimum for each group, so one may stay below the others', () => {
    const shares = applyMinShare([0.002, 0.02, 0.978], [true, true, true], [0.002, 0.1, 0.1]);
    expect(shares[0]).toBeCloseTo(0.002, 9);
    expect(shares[1]).toBeCloseTo(0.1, 9);
    expect(shares[2]).toBeCloseTo(0.898, 9);
  });

  test('pins a second group that the first pass pushed below minShare', () => {
    const shares = applyMinShare([0, 0.1, 0.9], [true, true, true], 0.15);
    expect(shares[0]).toBeCloseTo(0.15);
    expect(shares[1]).toBeCloseTo(0.15);
    expect(shares[2]).toBeCloseTo(0.7);
  });
});

describe('limitStepUp', () => {
  test('caps a rise at maxStepUp and slows the matching cut', () => {
    const { shares, relaxed } = limitStepUp([0.9, 0.1], [0.5, 0.5], [true, true], 0.1, 0);
    expect(shares[0]).toBeCloseTo(0.6);
    expect(shares[1]).toBeCloseTo(0.4);
    expect(relaxed).toBe(false);
  });

  test('slows a cut only by as much as the capped rises cannot take', () => {
    const { shares } = limitStepUp([0.1, 0.45, 0.45], [0.8, 0.1, 0.1], [true, true, true], 0.1, 0);
    expect(shares[0]).toBeCloseTo(0.6);
    expect(shares[1]).toBeCloseTo(0.2);
    expect(shares[2]).toBeCloseTo(0.2);
  });

  test('does not slow the cut of a group being shed (probed as failing): the others take it', () => {
    const shed = limitStepUp([0.998, 0.002], [0.5, 0.5], [true, true], 0.1, 0, [false, true]);
    expect(shed.shares[0]).toBeCloseTo(0.998, 9);
    expect(shed.shares[1]).toBeCloseTo(0.002, 9);
    expect(shed.relaxed).toBe(true);

    const slowed = limitStepUp([0.998, 0.002], [0.5, 0.5], [true, true], 0.1, 0);
    expect(slowed.shares[1]).toBeCloseTo(0.4, 9);
  });

  test('past the caps, puts shed share where the policy wants it, not on a group it cuts', () => {
    // a is cut to 0, b is shed, c may rise only 0.1: a fills to its cap at most, c takes the rest.
    const { shares } = limitStepUp(
      [0, 0.002, 0.998],
      [0.5, 0.5, 0],
      [true, true, true],
      0.1,
      0,
      [false, true, false],
    );
    expect(shares[0]).toBeLessThanOrEqual(0.6 + 1e-9);
    expect(shares[1]).toBeCloseTo(0.002, 9);
    expect(shares[2]).toBeCloseTo(1 - shares[0] - 0.002, 9);
  });

  test('exceeds the step only when a group cut to 0 leaves share nowhere else to go', () => {
    const { shares, relaxed } = limitStepUp([0, 1], [0.5, 0.5], [false, true], 0.1, 0);
    expect(shares).toEqual([0, 1]);
    expect(relaxed).toBe(true);
  });

  test('places share from a group cut to 0 on live groups below their cap before exceeding it', () => {
    const { shares, relaxed } = limitStepUp(
      [0, 0.9, 0.1],
      [0.2, 0.4, 0.4],
      [false, true, true],
      0.1,
      0,
    );
    expect(shares[1]).toBeCloseTo(0.5);
    expect(shares[2]).toBeCloseTo(0.5);
    expect(relaxed).toBe(false);
  });

  test('lets a group at 0 rise straight to minShare even when minShare exceeds the step', () => {
    const { shares } = limitStepUp([0.2, 0.8], [0, 1], [true, true], 0.05, 0.2);
    expect(shares[0]).toBeCloseTo(0.2);
  });
});

describe('sanitizeWeight', () => {
  test.each([
    [Number.NaN, 0],
    [Number.POSITIVE_INFINITY, 0],
    [-5, 0],
    [1200, 999],
    [12.4, 12],
  ])('reads %p as %p', (weight, expected) => {
    expect(sanitizeWeight(weight)).toBe(expected);
  });
});

describe('parseGuardrails', () => {
  test('fills defaults for missing guardrails', () => {
    expect(parseGuardrails({})).toEqual({
      minShare: 0.02,
      maxStepUp: 0.1,
      deadband: 0.01,
      minGroupsWithData: 1,
    });
  });

  test('rejects a guardrail out of range naming the property and the received value', () => {
    expect(() => parseGuardrails({ maxStepUp: 2 })).toThrow(/^guardrails\.maxStepUp is 2; .*1/);
  });

  test('rejects NaN as a guardrail value', () => {
    expect(() => parseGuardrails({ minShare: Number.NaN })).toThrow(/guardrails\.minShare is NaN/);
  });
});

describe('toIntegerWeights over random shares', () => {
  test('keeps zero shares at 0, live shares at minShare or more, and every weight within 0 to 999', () => {
    const sharesArb = fc
      .array(fc.oneof(fc.constant(0), fc.double({ min: 0.001, max: 1, noNaN: true })), {
        minLength: 1,
        maxLength: 5,
      })
      .filter((raw) => raw.some((r) => r > 0));
    fc.assert(
      fc.property(sharesArb, fc.double({ min: 0, max: 0.2, noNaN: true }), (raw, minShare) => {
        const live = raw.map((r) => r > 0);
        const shares = applyMinShare(
          raw.map((r) => r / sum(raw)),
          live,
          minShare,
        );
        const weights = toIntegerWeights(shares, live, minShare);
        const total = sum(weights);

        expect(weights.every((w) => Number.isInteger(w) && w >= 0 && w <= 999)).toBe(true);
        weights.forEach((w, i) => {
          if (!live[i]) expect(w).toBe(0);
          else expect(w / total).toBeGreaterThanOrEqual(minShare - 1e-9);
        });
        shares.forEach((s, i) => expect(Math.abs(weights[i] / total - s)).toBeLessThan(0.01));
      }),
      { numRuns: 2000 },
    );
  });
});
