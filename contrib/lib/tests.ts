/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { existsSync } from 'node:fs';
import { posix } from 'node:path';
import ts from 'typescript';
import { listRepoFiles, readRepoFile, repoPath } from './source.ts';

// The instrumentation's suites, as they run in contrib: the same files,
// mechanically adapted. This repository runs them as ES modules under vitest;
// contrib compiles them to CommonJS and runs them under mocha. The adaptation
// is what the module systems and the runners differ in, nothing else:
//   - `vitest` imports come from test/helpers/vitest-on-mocha.ts (adapter);
//   - test/helpers/backend.ts is replaced by the contrib one (adapter): the
//     server is the `aerospike` test service, there is no embedded server;
//   - tests gated on the embedded server (`it.skipIf(!onEmbedded)`) are left
//     out, with what only they used: the fault controls stay in this repo;
//   - relative `.ts` specifiers lose their extension, `import.meta.url`
//     becomes the file's URL from `__filename`, and a top-level
//     `const require = createRequire(...)` goes (CommonJS has `require`);
//   - a one-line template literal without substitution becomes a quoted
//     string (contrib's eslint `quotes` rule; prettier then picks the quote).

/** Folders whose `*.test.ts` files are exported (helpers follow imports). */
export const EXPORTED_TEST_DIRS = ['test/integration', 'test/unit'];

/** Modules replaced by an adapter of contrib/adapter/, and the adapter. */
export const ADAPTERS: Record<string, string> = {
  'test/helpers/backend.ts': 'contrib/adapter/backend.ts',
  'test/helpers/vitest-on-mocha.ts': 'contrib/adapter/vitest-on-mocha.ts',
  'test/run-each-file.mjs': 'contrib/adapter/run-each-file.mjs',
};

const VITEST_ADAPTER = 'test/helpers/vitest-on-mocha.ts';

/** Test-side folders that must not reach contrib. */
const REPO_ONLY = ['test/server/'];

/** The identifier that is true only against the embedded server. */
const EMBEDDED_FLAG = 'onEmbedded';

export interface ExportedTests {
  /** Package-relative path -> content. */
  files: Map<string, string>;
  /** Package-relative path -> repo path, copied as they are (fixtures). */
  assets: Map<string, string>;
  /** Tests left out (gated on the embedded server), "file: title". */
  leftOut: string[];
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

function parse(path: string, text: string): ts.SourceFile {
  return ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
}

function applyEdits(text: string, edits: Edit[]): string {
  // Edits inside a removed range (a test inside a left-out suite) go with it.
  const outer = edits.filter(
    e =>
      !edits.some(
        o =>
          o !== e &&
          o.start <= e.start &&
          e.end <= o.end &&
          (o.start < e.start || e.end < o.end)
      )
  );
  let out = text;
  for (const edit of outer.sort((a, b) => b.start - a.start)) {
    out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  }
  return out;
}

/**
 * The text removing `node` takes out: whole lines, with the comments right
 * above it; a license header or a comment set apart by a blank line stays.
 */
function removal(node: ts.Node): Edit {
  const text = node.getSourceFile().getFullText();
  const comments = ts.getLeadingCommentRanges(text, node.getFullStart()) ?? [];
  let start = node.getStart();
  for (const c of [...comments].reverse()) {
    const comment = text.slice(c.pos, c.end);
    const gap = text.slice(c.end, start);
    if (/SPDX-License-Identifier|Copyright/.test(comment)) break;
    if ((gap.match(/\n/g) ?? []).length > 1) break;
    start = c.pos;
  }
  let end = node.getEnd();
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  if (/^[ \t]*$/.test(text.slice(lineStart, start))) {
    start = lineStart;
    end += /^[ \t]*\r?\n/.exec(text.slice(end))?.[0].length ?? 0;
  }
  return { start, end, text: '' };
}

/** Repo path a relative specifier of `from` resolves to. */
function resolveSpecifier(from: string, spec: string): string {
  const base = posix.normalize(posix.join(posix.dirname(from), spec));
  for (const candidate of [base, `${base}.ts`, `${base}/index.ts`]) {
    if (candidate in ADAPTERS || existsSync(repoPath(candidate))) {
      if (candidate === base && !/\.[cm]?[jt]s$|\.json$/.test(base)) {
        continue; // a folder
      }
      return candidate;
    }
  }
  throw new Error(`${from}: cannot resolve ${spec}`);
}

function relativeSpecifier(from: string, to: string): string {
  const rel = posix.relative(posix.dirname(from), to).replace(/\.ts$/, '');
  return rel.startsWith('.') ? rel : `./${rel}`;
}

const exportedNamesCache = new Map<string, Set<string>>();

/** Names a module exports (for the adapters' API checks). */
function exportedNames(path: string): Set<string> {
  const cached = exportedNamesCache.get(path);
  if (cached) return cached;
  const source = parse(path, readRepoFile(path));
  const names = new Set<string>();
  for (const s of source.statements) {
    const exported = ts
      .getModifiers(s as ts.HasModifiers)
      ?.some(m => m.kind === ts.SyntaxKind.ExportKeyword);
    if (exported) {
      if (ts.isVariableStatement(s)) {
        for (const d of s.declarationList.declarations) {
          if (ts.isIdentifier(d.name)) names.add(d.name.text);
        }
      } else if (
        (ts.isFunctionDeclaration(s) ||
          ts.isInterfaceDeclaration(s) ||
          ts.isTypeAliasDeclaration(s) ||
          ts.isClassDeclaration(s)) &&
        s.name
      ) {
        names.add(s.name.text);
      }
    }
    if (ts.isExportDeclaration(s) && s.exportClause) {
      if (ts.isNamedExports(s.exportClause)) {
        for (const e of s.exportClause.elements) names.add(e.name.text);
      }
    }
  }
  exportedNamesCache.set(path, names);
  return names;
}

/**
 * Whether a gating condition skips the test when `onEmbedded` is false:
 * true (always skipped), false (never), undefined (depends on other values).
 */
function skipsWithoutEmbedded(
  kind: 'skipIf' | 'runIf',
  condition: ts.Expression
): boolean | undefined {
  const value = (e: ts.Expression): boolean | undefined => {
    if (ts.isParenthesizedExpression(e)) return value(e.expression);
    if (ts.isIdentifier(e) && e.text === EMBEDDED_FLAG) return false;
    if (
      ts.isPrefixUnaryExpression(e) &&
      e.operator === ts.SyntaxKind.ExclamationToken
    ) {
      const v = value(e.operand);
      return v === undefined ? undefined : !v;
    }
    if (ts.isBinaryExpression(e)) {
      const l = value(e.left);
      const r = value(e.right);
      if (e.operatorToken.kind === ts.SyntaxKind.BarBarToken) {
        if (l === true || r === true) return true;
        if (l === false && r === false) return false;
      }
      if (e.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken) {
        if (l === false || r === false) return false;
        if (l === true && r === true) return true;
      }
    }
    return undefined;
  };
  const v = value(condition);
  if (v === undefined) return undefined;
  return kind === 'skipIf' ? v : !v;
}

const TEST_ROOTS = new Set(['it', 'test', 'describe']);

/** `it`/`test`/`describe` at the root of a callee (`it.skipIf(x)(...)`). */
function testRoot(call: ts.CallExpression): string | undefined {
  let e: ts.Expression = call.expression;
  for (;;) {
    if (ts.isCallExpression(e)) e = e.expression;
    else if (ts.isPropertyAccessExpression(e)) e = e.expression;
    else break;
  }
  return ts.isIdentifier(e) && TEST_ROOTS.has(e.text) ? e.text : undefined;
}

/** `it.skipIf(cond)(title, ...)` gated on the embedded server. */
function embeddedOnly(statement: ts.Statement): boolean {
  if (!ts.isExpressionStatement(statement)) return false;
  const call = statement.expression;
  if (!ts.isCallExpression(call) || !ts.isCallExpression(call.expression)) {
    return false;
  }
  const gate = call.expression;
  if (
    !ts.isPropertyAccessExpression(gate.expression) ||
    !ts.isIdentifier(gate.expression.expression) ||
    !TEST_ROOTS.has(gate.expression.expression.text)
  ) {
    return false;
  }
  const kind = gate.expression.name.text;
  if ((kind !== 'skipIf' && kind !== 'runIf') || gate.arguments.length !== 1) {
    return false;
  }
  return skipsWithoutEmbedded(kind, gate.arguments[0]) === true;
}

function titleOf(statement: ts.Statement): string {
  const call = (statement as ts.ExpressionStatement)
    .expression as ts.CallExpression;
  const first = call.arguments[0];
  return first && ts.isStringLiteralLike(first) ? first.text : '(untitled)';
}

/** Identifier uses in `node`, minus those inside `skip` subtrees. */
function countUses(
  node: ts.Node,
  skip: Set<ts.Node> = new Set()
): Map<string, number> {
  const counts = new Map<string, number>();
  const visit = (n: ts.Node) => {
    if (skip.has(n) || ts.isImportDeclaration(n)) return;
    if (ts.isIdentifier(n)) {
      const parent = n.parent;
      const isDeclarationName =
        (ts.isFunctionDeclaration(parent) ||
          ts.isVariableDeclaration(parent) ||
          ts.isClassDeclaration(parent)) &&
        parent.name === n;
      if (!isDeclarationName) {
        counts.set(n.text, (counts.get(n.text) ?? 0) + 1);
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
  return counts;
}

/** Whether `node` (outside `skip`) registers any test or suite. */
function registersTests(node: ts.Node, skip: Set<ts.Node>): boolean {
  let found = false;
  const visit = (n: ts.Node) => {
    if (found || skip.has(n)) return;
    if (ts.isCallExpression(n) && testRoot(n)) {
      found = true;
      return;
    }
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(node, visit);
  return found;
}

/** Statements to leave out: embedded-only tests and what only they used. */
function embeddedOnlyStatements(
  source: ts.SourceFile,
  leftOut: string[]
): Set<ts.Node> {
  const removed = new Set<ts.Node>();
  const visit = (n: ts.Node) => {
    if (ts.isStatement(n) && embeddedOnly(n)) {
      removed.add(n);
      leftOut.push(`${source.fileName}: ${titleOf(n)}`);
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(source);
  if (removed.size === 0) return removed;

  // Suites left without any test, then declarations only the left-out
  // code used (TypeScript's noUnusedLocals would reject them), to a fixpoint.
  const before = countUses(source);
  for (let changed = true; changed;) {
    changed = false;
    const after = countUses(source, removed);
    const consider = (n: ts.Node) => {
      if (removed.has(n)) return;
      if (
        ts.isExpressionStatement(n) &&
        ts.isCallExpression(n.expression) &&
        testRoot(n.expression) === 'describe' &&
        !registersTests(n.expression, removed)
      ) {
        removed.add(n);
        changed = true;
        return;
      }
      const names: string[] = [];
      if (ts.isFunctionDeclaration(n) && n.name) names.push(n.name.text);
      if (ts.isVariableStatement(n)) {
        for (const d of n.declarationList.declarations) {
          if (ts.isIdentifier(d.name)) names.push(d.name.text);
        }
      }
      if (
        names.length > 0 &&
        names.every(
          name => (before.get(name) ?? 0) > 0 && !(after.get(name) ?? 0)
        )
      ) {
        removed.add(n);
        changed = true;
        return;
      }
      ts.forEachChild(n, consider);
    };
    ts.forEachChild(source, consider);
  }
  return removed;
}

/** Drops import bindings nothing uses any more (after left-out code). */
function pruneImports(path: string, text: string): string {
  const source = parse(path, text);
  const uses = countUses(source);
  const edits: Edit[] = [];
  for (const s of source.statements) {
    if (!ts.isImportDeclaration(s) || !s.importClause) continue;
    const clause = s.importClause;
    const used = (name: ts.Identifier) => (uses.get(name.text) ?? 0) > 0;
    const parts: string[] = [];
    let dropped = false;
    if (clause.name) {
      if (used(clause.name)) parts.push(clause.name.text);
      else dropped = true;
    }
    const bindings = clause.namedBindings;
    if (bindings && ts.isNamespaceImport(bindings)) {
      if (used(bindings.name)) parts.push(bindings.getText());
      else dropped = true;
    } else if (bindings) {
      const kept = bindings.elements.filter(e => used(e.name));
      if (kept.length < bindings.elements.length) dropped = true;
      if (kept.length > 0) {
        parts.push(`{ ${kept.map(e => e.getText()).join(', ')} }`);
      }
    }
    if (!dropped) continue;
    const replacement =
      parts.length === 0
        ? ''
        : `import ${clause.isTypeOnly ? 'type ' : ''}${parts.join(', ')} from ${s.moduleSpecifier.getText()};`;
    edits.push(
      parts.length === 0
        ? removal(s)
        : { start: s.getStart(), end: s.getEnd(), text: replacement }
    );
  }
  return applyEdits(text, edits);
}

export interface Transformed {
  text: string;
  /** Repo paths of the relative modules it imports. */
  imports: string[];
  /** Files it reads through `new URL('<relative>', import.meta.url)`. */
  assets: string[];
}

/** Adds `name` to the file's `node:url` import, or a new import. */
function ensureUrlImport(source: ts.SourceFile, name: string): Edit {
  let last: ts.ImportDeclaration | undefined;
  for (const s of source.statements) {
    if (!ts.isImportDeclaration(s)) continue;
    last = s;
    const spec = (s.moduleSpecifier as ts.StringLiteral).text;
    const bindings = s.importClause?.namedBindings;
    if (
      (spec === 'node:url' || spec === 'url') &&
      !s.importClause?.isTypeOnly &&
      bindings &&
      ts.isNamedImports(bindings)
    ) {
      if (bindings.elements.some(e => e.name.text === name)) {
        return { start: 0, end: 0, text: '' };
      }
      const names = [...bindings.elements.map(e => e.getText()), name];
      return {
        start: bindings.getStart(),
        end: bindings.getEnd(),
        text: `{ ${names.join(', ')} }`,
      };
    }
  }
  const at = last ? last.getEnd() : 0;
  return { start: at, end: at, text: `\nimport { ${name} } from 'url';` };
}

/**
 * The contrib form of one test module (`path` is repo-relative and decides
 * where relative imports point). Left-out tests are added to `leftOut`.
 */
export function transformTestModule(
  path: string,
  text: string,
  leftOut: string[] = []
): Transformed {
  const source = parse(path, text);
  const edits: Edit[] = [];
  const imports: string[] = [];
  const assets: string[] = [];
  let needsPathToFileURL = false;

  const removed = embeddedOnlyStatements(source, leftOut);
  for (const n of removed) {
    edits.push(removal(n));
  }

  const rewriteSpecifier = (literal: ts.StringLiteralLike) => {
    const spec = literal.text;
    let replacement = spec;
    if (spec === 'vitest') {
      replacement = relativeSpecifier(path, VITEST_ADAPTER);
      imports.push(VITEST_ADAPTER);
    } else if (spec.startsWith('./') || spec.startsWith('../')) {
      const target = resolveSpecifier(path, spec);
      imports.push(target);
      replacement = spec.replace(/\.ts$/, '');
    }
    if (replacement !== spec) {
      edits.push({
        start: literal.getStart() + 1,
        end: literal.getEnd() - 1,
        text: replacement,
      });
    }
  };

  const isImportMeta = (n: ts.Node): n is ts.MetaProperty =>
    ts.isMetaProperty(n) && n.keywordToken === ts.SyntaxKind.ImportKeyword;

  const visit = (n: ts.Node): void => {
    if (removed.has(n)) return;
    if (
      (ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) &&
      n.moduleSpecifier &&
      ts.isStringLiteralLike(n.moduleSpecifier)
    ) {
      rewriteSpecifier(n.moduleSpecifier);
      return;
    }
    if (
      ts.isCallExpression(n) &&
      n.expression.kind === ts.SyntaxKind.ImportKeyword &&
      n.arguments[0] &&
      ts.isStringLiteralLike(n.arguments[0])
    ) {
      rewriteSpecifier(n.arguments[0]);
    }
    // `new URL('../fixtures/x', import.meta.url)`: a file to ship along.
    if (
      ts.isNewExpression(n) &&
      ts.isIdentifier(n.expression) &&
      n.expression.text === 'URL' &&
      n.arguments?.length === 2 &&
      ts.isStringLiteralLike(n.arguments[0]) &&
      ts.isPropertyAccessExpression(n.arguments[1]) &&
      isImportMeta(n.arguments[1].expression)
    ) {
      assets.push(
        posix.normalize(posix.join(posix.dirname(path), n.arguments[0].text))
      );
    }
    if (
      ts.isVariableStatement(n) &&
      n.parent === source &&
      n.declarationList.declarations.length === 1
    ) {
      const d = n.declarationList.declarations[0];
      if (ts.isIdentifier(d.name) && d.name.text === 'require') {
        edits.push(removal(n));
        return;
      }
    }
    if (ts.isPropertyAccessExpression(n) && isImportMeta(n.expression)) {
      const replacements: Record<string, string> = {
        url: 'pathToFileURL(__filename).href',
        dirname: '__dirname',
        filename: '__filename',
      };
      const replacement = replacements[n.name.text];
      if (!replacement) {
        throw new Error(`${path}: no CommonJS form for ${n.getText()}`);
      }
      needsPathToFileURL ||= n.name.text === 'url';
      edits.push({ start: n.getStart(), end: n.getEnd(), text: replacement });
      return;
    }
    if (
      ts.isNoSubstitutionTemplateLiteral(n) &&
      !ts.isTaggedTemplateExpression(n.parent) &&
      !/[\r\n]/.test(n.text)
    ) {
      edits.push({
        start: n.getStart(),
        end: n.getEnd(),
        text: quoted(n.text),
      });
      return;
    }
    if (ts.isAwaitExpression(n) && isTopLevel(n)) {
      throw new Error(`${path}: top-level await has no CommonJS form`);
    }
    ts.forEachChild(n, visit);
  };
  visit(source);
  if (needsPathToFileURL) edits.push(ensureUrlImport(source, 'pathToFileURL'));

  return { text: pruneImports(path, applyEdits(text, edits)), imports, assets };
}

/** `text` as a single-quoted string literal. */
function quoted(text: string): string {
  const escaped = text.replace(/[\\'\u0000-\u001f\u2028\u2029]/g, c => {
    if (c === '\\') return '\\\\';
    if (c === "'") return "\\'";
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
  return `'${escaped}'`;
}

function isTopLevel(n: ts.Node): boolean {
  for (let p = n.parent; p; p = p.parent) {
    if (ts.isFunctionLike(p)) return false;
  }
  return true;
}

/** Checks that `file` imports only names `module` (an adapter) exports. */
export function checkAdapterApi(
  file: string,
  text: string,
  module: string
): void {
  const adapter = ADAPTERS[module];
  const offered = exportedNames(adapter);
  const source = parse(file, text);
  for (const s of source.statements) {
    if (!ts.isImportDeclaration(s)) continue;
    const spec = (s.moduleSpecifier as ts.StringLiteral).text;
    if (!spec.startsWith('.')) continue;
    const target = posix.normalize(posix.join(posix.dirname(file), spec));
    if (`${target}.ts` !== module) continue;
    const bindings = s.importClause?.namedBindings;
    if (s.importClause?.name || (bindings && !ts.isNamedImports(bindings))) {
      throw new Error(`${file}: import the adapter ${module} by name`);
    }
    for (const e of bindings && ts.isNamedImports(bindings)
      ? bindings.elements
      : []) {
      const name = (e.propertyName ?? e.name).text;
      if (!offered.has(name)) {
        throw new Error(
          `${file} imports ${name} from ${module}, which ${adapter} ` +
            'does not offer: add it there'
        );
      }
    }
  }
}

/** The exported test files, helpers and fixtures, read now. */
export function exportTests(): ExportedTests {
  const files = new Map<string, string>();
  const assets = new Map<string, string>();
  const leftOut: string[] = [];
  const queue = EXPORTED_TEST_DIRS.flatMap(dir =>
    listRepoFiles(dir, p => p.endsWith('.test.ts'))
  );
  const seen = new Set(queue);
  while (queue.length > 0) {
    const path = queue.shift()!;
    const {
      text,
      imports,
      assets: used,
    } = transformTestModule(path, readRepoFile(path), leftOut);
    files.set(path, text);
    for (const asset of used) assets.set(asset, asset);
    for (const target of imports) {
      if (REPO_ONLY.some(dir => target.startsWith(dir))) {
        throw new Error(
          `${path} imports ${target}: the embedded server stays in this ` +
            'repository; tests that need it cannot be exported'
        );
      }
      if (target in ADAPTERS) {
        checkAdapterApi(path, text, target);
        continue;
      }
      if (target.startsWith('src/')) continue;
      if (!target.startsWith('test/')) {
        throw new Error(`${path} imports ${target}, outside src/ and test/`);
      }
      if (!seen.has(target)) {
        seen.add(target);
        queue.push(target);
      }
    }
  }
  for (const [target, adapter] of Object.entries(ADAPTERS)) {
    files.set(target, readRepoFile(adapter));
  }
  return { files, assets, leftOut };
}
