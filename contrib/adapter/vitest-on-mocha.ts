/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */

// The suites of this package are shared with its development repository,
// where they run under vitest. This module gives them the part of vitest's
// API they use, on mocha's BDD interface, Jest's `expect` (whose matchers
// vitest's mirror) and `jest-mock` (for `vi.fn` and `vi.spyOn`).

import { AsyncLocalStorage } from 'async_hooks';
import { inspect } from 'util';
import { expect as jestExpect } from 'expect';
import { fn, spyOn } from 'jest-mock';
import type { Mock } from 'jest-mock';

// The timeouts of the development repository's vitest config: the suites
// seed records and create indexes against a real server in their hooks.
const TEST_TIMEOUT_MS = 30_000;
const HOOK_TIMEOUT_MS = 60_000;

/** The part of vitest's test context the suites use. */
export interface TestContext {
  /** Skips the running test, printing why. */
  skip(note?: string): never;
}

type Body = (context: TestContext) => unknown;
type HookBody = () => unknown;

/** The mocha context of the hook running now, for skipSuite(). */
const hookContext = new AsyncLocalStorage<Mocha.Context>();
const reportedSkips = new Set<string>();

/**
 * Skips every test of the suite whose hook is running (mocha's `this.skip()`
 * in a `before` hook), printing the reason once.
 */
export function skipSuite(reason: string): never {
  const context = hookContext.getStore();
  if (!context) {
    throw new Error(`skipSuite() called outside a hook: ${reason}`);
  }
  if (!reportedSkips.has(reason)) {
    reportedSkips.add(reason);
    console.log(`  skipped: ${reason}`);
  }
  return context.skip();
}

function runHook(context: Mocha.Context, body: HookBody): Promise<unknown> {
  context.timeout(HOOK_TIMEOUT_MS);
  return hookContext.run(context, async () => body());
}

export function beforeAll(body: HookBody): void {
  // vitest calls a function returned by beforeAll after the suite.
  let teardown: unknown;
  before(async function () {
    teardown = await runHook(this, body);
  });
  after(async function () {
    if (typeof teardown === 'function') await runHook(this, () => teardown);
  });
}

export function afterAll(body: HookBody): void {
  after(function () {
    return runHook(this, body);
  });
}

export function beforeEach(body: HookBody): void {
  globalThis.beforeEach(function () {
    return runHook(this, body);
  });
}

export function afterEach(body: HookBody): void {
  globalThis.afterEach(function () {
    return runHook(this, body);
  });
}

/** vitest's `%s`/`%j`/`%#`... placeholders in the titles of `each` cases. */
function formatTitle(title: string, args: unknown[], index: number): string {
  let next = 0;
  const show = (value: unknown) =>
    typeof value === 'string'
      ? value
      : inspect(value, { depth: 2, breakLength: Infinity });
  const json = (value: unknown) =>
    JSON.stringify(value, (_key, v) =>
      typeof v === 'bigint' ? v.toString() : v
    ) ?? String(value);
  return title.replace(/%[sdifjoO#$%]/g, placeholder => {
    switch (placeholder) {
      case '%%':
        return '%';
      case '%#':
        return String(index);
      case '%$':
        return String(index + 1);
    }
    if (next >= args.length) return placeholder;
    const value = args[next++];
    switch (placeholder) {
      case '%j':
        return json(value);
      case '%d':
      case '%i':
        return String(Math.trunc(Number(value)));
      case '%f':
        return String(Number(value));
      default:
        return show(value);
    }
  });
}

type EachRegistrar<Args extends unknown[]> = (
  title: string,
  body: (...args: Args) => unknown,
  timeout?: number
) => void;

interface Each {
  // Rows that are arrays are spread into the body's arguments; other rows
  // are passed as the only argument (as vitest does).
  <Row extends any[] | [any]>(cases: ReadonlyArray<Row>): EachRegistrar<Row>;
  <Row>(cases: ReadonlyArray<Row>): EachRegistrar<[Row]>;
}

function eachOf(
  register: (title: string, body: Body, timeout?: number) => void
): Each {
  return ((cases: ReadonlyArray<unknown>) =>
    (
      title: string,
      body: (...args: unknown[]) => unknown,
      timeout?: number
    ) => {
      cases.forEach((row, index) => {
        const args = Array.isArray(row) ? row : [row];
        register(formatTitle(title, args, index), () => body(...args), timeout);
      });
    }) as Each;
}

type TestFunction = (title: string, body?: Body, timeout?: number) => void;

function testWith(register: Mocha.TestFunction | Mocha.PendingTestFunction) {
  return (title: string, body?: Body, timeout = TEST_TIMEOUT_MS): void => {
    if (!body) {
      register(title);
      return;
    }
    register(title, function () {
      this.timeout(timeout);
      const context: TestContext = {
        skip: note => {
          if (note) console.log(`  skipped: ${note}`);
          return this.skip();
        },
      };
      return Promise.resolve(body(context));
    });
  };
}

interface TestApi extends TestFunction {
  only: TestFunction;
  skip: TestFunction;
  todo: (title: string) => void;
  skipIf(condition: unknown): TestFunction;
  runIf(condition: unknown): TestFunction;
  each: Each;
}

const runTest = testWith(globalThis.it);
const skipTest = testWith(globalThis.it.skip);

export const it: TestApi = Object.assign(runTest, {
  only: testWith(globalThis.it.only),
  skip: skipTest,
  todo: (title: string) => skipTest(title),
  skipIf: (condition: unknown) => (condition ? skipTest : runTest),
  runIf: (condition: unknown) => (condition ? runTest : skipTest),
  each: eachOf(runTest),
});
export const test = it;

type SuiteFunction = (title: string, body: () => void) => void;

interface SuiteApi extends SuiteFunction {
  only: SuiteFunction;
  skip: SuiteFunction;
  skipIf(condition: unknown): SuiteFunction;
  runIf(condition: unknown): SuiteFunction;
  each: Each;
}

function skipOutsideTest(): never {
  throw new Error('skip() is only available inside a test');
}

const runSuite: SuiteFunction = (title, body) => {
  globalThis.describe(title, body);
};
const skipSuiteBlock: SuiteFunction = (title, body) => {
  globalThis.describe.skip(title, body);
};

export const describe: SuiteApi = Object.assign(runSuite, {
  only: ((title, body) => {
    globalThis.describe.only(title, body);
  }) as SuiteFunction,
  skip: skipSuiteBlock,
  skipIf: (condition: unknown) => (condition ? skipSuiteBlock : runSuite),
  runIf: (condition: unknown) => (condition ? runSuite : skipSuiteBlock),
  each: eachOf((title, body) =>
    runSuite(title, () => void body({ skip: skipOutsideTest }))
  ),
});

// Matchers vitest has and Jest's expect does not.
declare module 'expect' {
  interface Matchers<R extends void | Promise<void>, T = unknown> {
    toBeTypeOf(
      type:
        | 'bigint'
        | 'boolean'
        | 'function'
        | 'number'
        | 'object'
        | 'string'
        | 'symbol'
        | 'undefined'
    ): R;
    toHaveBeenCalledOnce(): R;
    toSatisfy(predicate: (value: T) => boolean): R;
    toBeOneOf(values: readonly unknown[]): R;
  }
}

const describeValue = (value: unknown) =>
  inspect(value, { depth: 2, breakLength: Infinity });

jestExpect.extend({
  toBeTypeOf(received: unknown, type: string) {
    const pass = typeof received === type;
    return {
      pass,
      message: () =>
        `expected ${describeValue(received)} ${pass ? 'not ' : ''}to be type of ${type}`,
    };
  },
  toHaveBeenCalledOnce(received: { mock?: { calls: unknown[] } }) {
    const calls = received?.mock?.calls.length;
    if (calls === undefined) {
      throw new TypeError('toHaveBeenCalledOnce() expects a mock function');
    }
    const pass = calls === 1;
    return {
      pass,
      message: () =>
        `expected the mock ${pass ? 'not ' : ''}to be called once, it was called ${calls} times`,
    };
  },
  toSatisfy(received: unknown, predicate: (value: unknown) => boolean) {
    const pass = predicate(received);
    return {
      pass,
      message: () =>
        `expected ${describeValue(received)} ${pass ? 'not ' : ''}to satisfy ${predicate.name || 'the predicate'}`,
    };
  },
  toBeOneOf(received: unknown, values: readonly unknown[]) {
    const pass = values.some(value => this.equals(received, value));
    return {
      pass,
      message: () =>
        `expected ${describeValue(received)} ${pass ? 'not ' : ''}to be one of ${describeValue(values)}`,
    };
  },
});

type Assertion<T> = ReturnType<typeof jestExpect<T>>;

/** An assertion whose failures start with `message` (vitest's second argument). */
function withMessage<T extends object>(assertion: T, message: string): T {
  const prefixed = (err: unknown) => {
    if (err instanceof Error) err.message = `${message}\n\n${err.message}`;
    return err;
  };
  return new Proxy(assertion, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key);
      if (typeof value === 'function') {
        return (...args: unknown[]) => {
          try {
            const result = value.apply(target, args);
            return result instanceof Promise
              ? result.catch(err => {
                  throw prefixed(err);
                })
              : result;
          } catch (err) {
            throw prefixed(err);
          }
        };
      }
      // `.not`, `.resolves`, `.rejects`
      return value && typeof value === 'object'
        ? withMessage(value, message)
        : value;
    },
  });
}

/** Jest's expect, taking vitest's optional message as second argument. */
export const expect = Object.assign(
  <T = unknown>(actual: T, message?: string): Assertion<T> =>
    message === undefined
      ? jestExpect(actual)
      : withMessage(jestExpect(actual), message),
  jestExpect
) as typeof jestExpect &
  (<T = unknown>(actual: T, message?: string) => Assertion<T>);

// vitest's mocks take and return `any` unless told otherwise (jest-mock's
// default is `unknown`).
type Procedure = (...args: any[]) => any;

function mockFn<T extends Procedure = Procedure>(implementation?: T): Mock<T> {
  return fn(implementation);
}

export const vi = { fn: mockFn, spyOn };
