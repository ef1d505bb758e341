/**
 * Argument checks shared by every entry point. They run before any state changes, so a rejected call
 * leaves the scheduler exactly as it was.
 */
import { InvalidArgumentError } from './errors.js';

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  return String(value);
}

/** An integer in [min, max] (a JavaScript number, not a bigint: the decision paths use numbers). */
export function checkInteger(where: string, name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(
      `${where}: ${name} must be an integer in [${min}, ${max}], got ${describe(value)}`,
    );
  }
  return value;
}

/** A plain options object (or undefined). */
export function checkOptions(where: string, options: unknown): Record<string, unknown> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidArgumentError(`${where}: options must be an object, got ${describe(options)}`);
  }
  return options as Record<string, unknown>;
}

/** Optional integer option with a default. */
export function integerOption(
  where: string,
  options: Record<string, unknown>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const value = options[name];
  if (value === undefined) return fallback;
  return checkInteger(where, `option ${name}`, value, min, max);
}

/** Optional boolean option with a default. */
export function booleanOption(
  where: string,
  options: Record<string, unknown>,
  name: string,
  fallback: boolean,
): boolean {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new InvalidArgumentError(`${where}: option ${name} must be a boolean, got ${describe(value)}`);
  }
  return value;
}
