/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { registerHooks } from 'node:module';

// The demo runs the instrumentation straight from src/ with Node's type
// stripping. src/ uses extensionless relative imports (as tsc wants for the
// CommonJS build); Node's ESM resolver does not guess extensions, so this
// hook retries `./x` as `./x.ts` and `./x/index.ts` for TypeScript parents.

const SUFFIXES = ['.ts', '/index.ts'];

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (err) {
      const code = (err as { code?: string }).code;
      const relative =
        specifier.startsWith('./') || specifier.startsWith('../');
      if (
        !relative ||
        !context.parentURL?.endsWith('.ts') ||
        (code !== 'ERR_MODULE_NOT_FOUND' &&
          code !== 'ERR_UNSUPPORTED_DIR_IMPORT')
      ) {
        throw err;
      }
      for (const suffix of SUFFIXES) {
        try {
          return nextResolve(specifier + suffix, context);
        } catch {
          // try the next one
        }
      }
      throw err;
    }
  },
});
