// What the commands of the CLI share: flag parsers built from zod schemas (messages name the
// problem, commander names the flag).
import { InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { IsoDate } from '../config.js';

export type { CommandContext, Io } from './context.js';
export { ENVIRONMENT_HELP } from './help.js';

/** A commander argument parser from a zod schema. */
export function parseWith<T>(schema: z.ZodType<T>, coerce: (raw: string) => unknown = (raw) => raw) {
  return (raw: string): T => {
    const parsed = schema.safeParse(coerce(raw));
    if (!parsed.success) throw new InvalidArgumentError(parsed.error.issues.map((i) => i.message).join('; '));
    return parsed.data;
  };
}

// Decimal numbers only: Number() alone would take '0x10', '0b1', ' ' and 'Infinity'.
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
export const asNumber = (raw: string) => (DECIMAL.test(raw.trim()) ? Number(raw.trim()) : NaN);

export const parseDate = parseWith(IsoDate);
export const parseCount = parseWith(
  z.number().int('must be a whole number').min(1, 'must be at least 1').max(50_000_000, 'must be at most 50,000,000'),
  asNumber,
);
// The simulator's generator is seeded with 32 bits: a larger seed would alias a smaller one.
export const parseSeed = parseWith(z.number().int('must be a whole number').min(0, 'must be 0 or more').max(2 ** 32 - 1, 'must be below 2^32'), asNumber);
export const parseShareInclusive = parseWith(z.number().min(0, 'must be within [0, 1]').max(1, 'must be within [0, 1]'), asNumber);
