import { describe, expect, it } from 'vitest';
import * as errors from '../src/errors.ts';
import { ErrorCode, ProjectError, RetryableError, UpstreamError } from '../src/errors.ts';

describe('the error taxonomy', () => {
  it('gives every code to one kind of error', () => {
    const codes = Object.values(ErrorCode);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('gives each project error class a code from the list and its own name', () => {
    const classes = Object.values(errors as Record<string, unknown>).filter(
      (value): value is new (message: string) => ProjectError =>
        typeof value === 'function' &&
        value.prototype instanceof ProjectError &&
        value !== UpstreamError &&
        value !== RetryableError,
    );
    const made = classes.map((Class) =>
      Class.name === 'ConfigError' ? new errors.ConfigError(['X: bad']) : new Class('m'),
    );
    expect(made.length).toBeGreaterThanOrEqual(11);
    for (const error of made) {
      expect(Object.values(ErrorCode), error.name).toContain(error.code);
      expect(error.name).toBe(error.constructor.name);
    }
    expect(new Set(made.map((e) => e.code)).size).toBe(made.length);
  });

  it('names an upstream failure by its kind', () => {
    expect(new UpstreamError('transient', 'x').code).toBe(ErrorCode.UpstreamTransient);
    expect(new UpstreamError('permanent', 'x').code).toBe(ErrorCode.UpstreamPermanent);
    expect(new UpstreamError('order-not-found', 'x').code).toBe(ErrorCode.OrderNotFound);
  });
});
