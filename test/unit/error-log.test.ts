// What -v logs of an error (lib/logger.ts): its kind by the name it was written with (the build
// minifies class names), what failed, the fix and the cause chain; never a stack or another field.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReasonedError } from '../../lib/errors.ts';
import { errorRecord } from '../../lib/logger.ts';

const ROOT = resolve(import.meta.dirname, '../..');

/** Every source file that declares an error class. */
const withErrors = ['lib', 'checks', 'cli'].flatMap((dir) =>
  (readdirSync(join(ROOT, dir), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(ROOT, dir, f))
    .filter((f) => /class \w+ extends \w*Error\b/.test(readFileSync(f, 'utf8'))),
);

describe('errors in the logs', () => {
  it('every error class names itself as written, which a minified build keeps', async () => {
    const classes: string[] = [];
    for (const file of withErrors) {
      for (const value of Object.values(await import(file))) {
        if (typeof value !== 'function' || !(value.prototype instanceof ReasonedError)) continue;
        const Class = value as new (message: string) => ReasonedError;
        classes.push(Class.name);
        expect(new Class('m').name, file).toBe(Class.name);
      }
    }
    expect(classes).toContain('JournalError');
    expect(classes.length).toBeGreaterThan(10);
  });

  it('an error is its type, message, fix, code and causes; no stack, no other field', () => {
    const inner = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const middle = new ReasonedError('request failed', { cause: inner });
    const err = Object.assign(new ReasonedError('API server unreachable', { cause: middle, fix: 'start it' }), {
      headers: { authorization: 'Bearer s3cret' },
      body: 's3cret',
    });
    expect(errorRecord(err)).toEqual({
      type: 'ReasonedError',
      message: 'API server unreachable',
      fix: 'start it',
      causes: ['ReasonedError: request failed', 'Error: connect ECONNREFUSED 127.0.0.1:1'],
    });
    expect(JSON.stringify(errorRecord(err))).not.toMatch(/s3cret|stack|\bat /);
  });

  it('an AggregateError lists its errors; a thrown object shows none of its fields; a cycle ends', () => {
    const both = new AggregateError([new Error('connect ECONNREFUSED ::1:1'), new Error('connect ECONNREFUSED 127.0.0.1:1')], '');
    expect(errorRecord(both).errors).toEqual(['Error: connect ECONNREFUSED ::1:1', 'Error: connect ECONNREFUSED 127.0.0.1:1']);
    expect(errorRecord({ token: 's3cret' })).toEqual({ type: 'object', message: 'a thrown object (not an Error)' });
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(errorRecord(a).causes).toEqual(['Error: b']);
  });

  it('a message of a whole response body is cut', () => {
    const message = errorRecord(new Error('x'.repeat(100_000))).message as string;
    expect(message.length).toBeLessThan(2100);
    expect(message).toMatch(/\.\.\. \(98000 more characters\)$/);
  });
});
