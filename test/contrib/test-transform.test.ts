/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { describe, expect, it } from 'vitest';
import {
  checkAdapterApi,
  transformTestModule,
} from '../../contrib/lib/tests.ts';

// The mechanical adaptation of the shared suites to contrib (CommonJS,
// mocha, no embedded server), on small modules placed where the real suites
// live so that their relative imports resolve.

const HEADER = `/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
`;
const SUITE = 'test/integration/sample.test.ts';

function transform(body: string) {
  const leftOut: string[] = [];
  const result = transformTestModule(SUITE, HEADER + body, leftOut);
  return { ...result, leftOut };
}

describe('transformTestModule', () => {
  it('takes the vitest API from the adapter and drops .ts from relative specifiers', () => {
    const { text, imports } = transform(
      [
        "import { describe, expect, it } from 'vitest';",
        "import { uniqueName } from '../helpers/backend.ts';",
        "import { setupTelemetry } from '../helpers/otel.ts';",
        "import { AerospikeInstrumentation } from '../../src';",
        "describe('s', () => { it('t', () => { expect(uniqueName('a')).toBeTruthy(); setupTelemetry(); new AerospikeInstrumentation(); }); });",
        '',
      ].join('\n')
    );
    expect(text).toContain(
      "import { describe, expect, it } from '../helpers/vitest-on-mocha';"
    );
    expect(text).toContain("from '../helpers/backend';");
    expect(text).toContain("from '../helpers/otel';");
    expect(text).toContain("from '../../src';");
    expect(imports).toEqual([
      'test/helpers/vitest-on-mocha.ts',
      'test/helpers/backend.ts',
      'test/helpers/otel.ts',
      'src/index.ts',
    ]);
  });

  it('leaves out tests gated on the embedded server, the suites they empty and what only they used', () => {
    const { text, leftOut } = transform(
      [
        "import { describe, expect, it } from 'vitest';",
        "import { onEmbedded, uniqueName } from '../helpers/backend.ts';",
        "import { callbackForm } from '../helpers/otel.ts';",
        '',
        "describe('faults', () => {",
        '  function statusName(code: number) {',
        '    return String(code);',
        '  }',
        '',
        '  // Needs a fault rule.',
        "  it.skipIf(!onEmbedded)('times out', async () => {",
        '    expect(statusName(9)).toBe(await callbackForm(null, "get"));',
        '  });',
        '});',
        '',
        "describe('kept', () => {",
        "  it.runIf(onEmbedded)('drops', () => {});",
        "  it.skipIf(onEmbedded)('needs a real server', () => {",
        "    expect(uniqueName('x')).toBeTruthy();",
        '  });',
        "  it.skipIf(typeof Symbol !== 'function')('depends', () => {});",
        '});',
        '',
      ].join('\n')
    );
    expect(leftOut).toEqual([`${SUITE}: times out`, `${SUITE}: drops`]);
    expect(text).not.toContain("describe('faults'");
    expect(text).not.toContain('statusName');
    expect(text).not.toContain('Needs a fault rule');
    expect(text).not.toContain('callbackForm');
    expect(text).toContain("it.skipIf(onEmbedded)('needs a real server'");
    expect(text).toContain("it.skipIf(typeof Symbol !== 'function')");
    expect(text).toContain(
      "import { onEmbedded, uniqueName } from '../helpers/backend';"
    );
    expect(text.startsWith(HEADER)).toBe(true);
  });

  it('gives ES module idioms their CommonJS form', () => {
    const { text } = transform(
      [
        "import { createRequire } from 'node:module';",
        "import { fileURLToPath } from 'node:url';",
        "import { describe, it } from 'vitest';",
        '',
        'const require = createRequire(import.meta.url);',
        "const fixture = fileURLToPath(new URL('../fixtures/udf/udf_test.lua', import.meta.url));",
        'const here = import.meta.dirname;',
        "describe('s', () => { it('t', () => { require(fixture + here); }); });",
        '',
      ].join('\n')
    );
    expect(
      text.startsWith(`${HEADER}import { fileURLToPath, pathToFileURL }`)
    ).toBe(true);
    expect(text).not.toContain('createRequire');
    expect(text).not.toContain('import.meta');
    expect(text).toContain(
      "new URL('../fixtures/udf/udf_test.lua', pathToFileURL(__filename).href)"
    );
    expect(text).toContain('const here = __dirname;');
  });

  it('adds the url import when the module has none', () => {
    const { text, assets } = transform(
      [
        "import { it } from 'vitest';",
        "it('t', () => new URL('../fixtures/udf/udf_test.lua', import.meta.url));",
        '',
      ].join('\n')
    );
    expect(text).toContain("import { pathToFileURL } from 'url';");
    expect(assets).toEqual(['test/fixtures/udf/udf_test.lua']);
  });

  it("turns one-line template literals without substitution into quoted strings (contrib's quotes rule)", () => {
    const { text } = transform(
      [
        "import { it } from 'vitest';",
        "it('t', () => [`a/b idle`, `it's`, `back\\\\slash`, `x${1}`, String.raw`r`, `two",
        'lines`]);',
        '',
      ].join('\n')
    );
    expect(text).toContain(
      "['a/b idle', 'it\\'s', 'back\\\\slash', `x${1}`, String.raw`r`, `two\nlines`]"
    );
  });

  it('refuses top-level await, which CommonJS cannot run', () => {
    expect(() =>
      transform("import { it } from 'vitest';\nawait Promise.resolve();\n")
    ).toThrow(/top-level await has no CommonJS form/);
  });
});

describe('checkAdapterApi', () => {
  it('names the adapter to extend when a suite needs more of the vitest API', () => {
    expect(() =>
      checkAdapterApi(
        SUITE,
        "import { describe, vi, onTestFinished } from '../helpers/vitest-on-mocha';\n",
        'test/helpers/vitest-on-mocha.ts'
      )
    ).toThrow(
      'imports onTestFinished from test/helpers/vitest-on-mocha.ts, which contrib/adapter/vitest-on-mocha.ts does not offer'
    );
  });

  it('accepts every name the contrib backend offers', () => {
    expect(() =>
      checkAdapterApi(
        SUITE,
        "import { onEmbedded, startBackend, uniqueName } from '../helpers/backend';\nimport type { Backend } from '../helpers/backend';\n",
        'test/helpers/backend.ts'
      )
    ).not.toThrow();
  });
});
