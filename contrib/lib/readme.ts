/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import type { MatrixEntry } from './source.ts';

// The package README in contrib: this repository's README cut to what a
// contrib package's README holds, with contrib's badges, its "Supported
// Versions" list and the footer scripts/lint-readme.js requires. The prose
// comes from README.md at export time; only the frame is written here.

/** README.md sections (level-2 headings) that go to contrib, in order. */
export const README_SECTIONS = [
  'Installation',
  'Usage',
  'Configuration',
  'Semantic Conventions',
  'Context and callbacks',
];

interface ParsedReadme {
  title: string;
  intro: string;
  sections: Map<string, string>;
  /** `[label]: url` definitions by label. */
  definitions: Map<string, string>;
}

function parseReadme(text: string): ParsedReadme {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  let title = '';
  const intro: string[] = [];
  const sections = new Map<string, string[]>();
  const definitions = new Map<string, string>();
  let current: string[] | undefined;
  let fence: string | undefined;
  for (const line of lines) {
    const fenceMark = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fenceMark) {
      if (!fence) fence = fenceMark;
      else if (fenceMark.startsWith(fence)) fence = undefined;
    } else if (!fence) {
      const h1 = /^# (.+)$/.exec(line);
      if (h1 && !title) {
        title = h1[1];
        continue;
      }
      const h2 = /^## (.+)$/.exec(line);
      if (h2) {
        current = [];
        sections.set(h2[1].trim(), current);
        continue;
      }
      const def = /^\[([^\]]+)\]:\s*(\S+)\s*$/.exec(line);
      if (def) {
        definitions.set(def[1].toLowerCase(), line);
        continue;
      }
    }
    (current ?? intro).push(line);
  }
  const trim = (l: string[]) => l.join('\n').trim();
  return {
    title,
    intro: trim(intro),
    sections: new Map([...sections].map(([k, v]) => [k, trim(v)])),
    definitions,
  };
}

/** The "Supported Versions" list: the patched range, then each CI version. */
export function supportedVersions(
  range: string,
  matrix: MatrixEntry[],
  engines: string
): string {
  const byVersion = [...matrix].sort((a, b) =>
    b.version.localeCompare(a.version, 'en', { numeric: true })
  );
  const minNode = /(\d+)/.exec(engines)?.[1] ?? '22';
  const tested = byVersion
    .map(e => {
      const nodes =
        Number(minNode) === e.node
          ? `Node.js ${e.node}`
          : `Node.js ${minNode} to ${e.node}`;
      return `- \`${e.version}\` (${nodes})`;
    })
    .join('\n');
  return [
    `- [\`aerospike\`](https://www.npmjs.com/package/aerospike) versions \`${range}\``,
    `- Node.js \`${engines}\``,
    '',
    'Tested in CI with these `aerospike` releases, each on the Node.js versions it ships prebuilt binaries for:',
    '',
    tested,
  ].join('\n');
}

export function contribFooter(packageName: string): string {
  // Byte for byte what scripts/lint-readme.js requires.
  return `## Useful links

- For more information on OpenTelemetry, visit: <https://opentelemetry.io/>
- For more about OpenTelemetry JavaScript: <https://github.com/open-telemetry/opentelemetry-js>
- For help or feedback on this project, join us in [GitHub Discussions][discussions-url]

## License

Apache 2.0 - See [LICENSE][license-url] for more information.

[discussions-url]: https://github.com/open-telemetry/opentelemetry-js/discussions
[license-url]: https://github.com/open-telemetry/opentelemetry-js-contrib/blob/main/LICENSE
[license-image]: https://img.shields.io/badge/license-Apache_2.0-green.svg?style=flat
[npm-url]: https://www.npmjs.com/package/${packageName}
[npm-img]: https://badge.fury.io/js/${encodeURIComponent(packageName)}.svg
`;
}

const BADGES = `[![NPM Published Version][npm-img]][npm-url]
[![Apache License][license-image]][license-image]`;

/** GitHub's anchor for a heading. */
function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a Markdown text's headings (outside code blocks). */
function headingAnchors(markdown: string): Set<string> {
  const headings = new Set<string>();
  let fence = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(`{3,}|~{3,})/.test(line)) fence = !fence;
    else if (!fence) {
      const h = /^#{1,6} (.+)$/.exec(line);
      if (h) headings.add(anchor(h[1]));
    }
  }
  return headings;
}

/**
 * Links to sections of README.md the contrib README does not carry become
 * their text: the prose reads the same, without a dead link.
 */
function unlinkMissingSections(markdown: string): string {
  const headings = headingAnchors(markdown);
  let fence = false;
  return markdown
    .split('\n')
    .map(line => {
      if (/^\s*(`{3,}|~{3,})/.test(line)) fence = !fence;
      if (fence) return line;
      return line.replace(
        /\[([^\]]+)\]\(#([^)\s]+)\)/g,
        (link, text, target) => (headings.has(target) ? link : text)
      );
    })
    .join('\n');
}

/** Links the generated README cannot keep (another section, a repo file). */
function brokenLinks(markdown: string): string[] {
  const headings = headingAnchors(markdown);
  let fence = false;
  const prose: string[] = [];
  for (const line of markdown.split('\n')) {
    if (/^\s*(`{3,}|~{3,})/.test(line)) fence = !fence;
    else if (!fence) prose.push(line);
  }
  const broken: string[] = [];
  const text = prose.join('\n').replace(/`[^`]*`/g, '');
  for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1];
    if (/^(https?:|mailto:)/.test(target)) continue;
    if (target.startsWith('#')) {
      if (!headings.has(target.slice(1))) broken.push(target);
    } else if (target !== './LICENSE' && target !== 'LICENSE') {
      broken.push(target);
    }
  }
  return broken;
}

export interface ReadmeInputs {
  /** This repository's README.md. */
  readme: string;
  packageName: string;
  range: string;
  matrix: MatrixEntry[];
  engines: string;
  /** Extra paragraph after the intro (the auto-instrumentations patch). */
  bundleNote?: string;
}

export function generateReadme(inputs: ReadmeInputs): string {
  const parsed = parseReadme(inputs.readme);
  const missing = README_SECTIONS.filter(s => !parsed.sections.has(s));
  if (missing.length > 0) {
    throw new Error(
      `README.md has no "## ${missing.join('", "## ')}" section: update ` +
        'README_SECTIONS in contrib/lib/readme.ts'
    );
  }
  const body: string[] = [`# ${parsed.title}`, BADGES, parsed.intro];
  if (inputs.bundleNote) body.push(inputs.bundleNote);
  for (const name of README_SECTIONS) {
    body.push(`## ${name}`, parsed.sections.get(name)!);
    if (name === 'Installation') {
      body.push(
        '### Supported Versions',
        supportedVersions(inputs.range, inputs.matrix, inputs.engines)
      );
    }
  }
  const footer = contribFooter(inputs.packageName);
  const text = body.join('\n\n');

  // Reference definitions the kept prose uses, unless the footer has them.
  const used = [...text.matchAll(/\]\[([^\]]+)\]/g)].map(m =>
    m[1].toLowerCase()
  );
  const extra = [...new Set(used)]
    .filter(label => !footer.includes(`[${label}]:`))
    .map(label => {
      const def = parsed.definitions.get(label);
      if (!def) throw new Error(`README.md: no definition for [${label}]`);
      return def;
    });

  const readme = unlinkMissingSections(
    `${text}\n\n${footer}${extra.length ? `${extra.join('\n')}\n` : ''}`
  );
  const broken = brokenLinks(readme);
  if (broken.length > 0) {
    throw new Error(
      `README.md sections exported to contrib link to ${broken.join(', ')}, ` +
        'which the contrib README does not have'
    );
  }
  return readme;
}
