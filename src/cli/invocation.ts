// How the user ran this command, so the next-step hints we print can be pasted back as they are.
// `npx nightshift` and `npm exec nightshift` (npm ≥ 7) run the CLI with npm_command=exec and
// npm_lifecycle_event=npx; in a project with nightshift as a local dependency a bare `nightshift` is
// then not on PATH, so a hint saying `nightshift approve …` would fail when pasted.
import { readFileSync } from 'node:fs';

export function commandName(env: NodeJS.ProcessEnv = process.env): string {
  return env.npm_command === 'exec' || env.npm_lifecycle_event === 'npx' ? 'npx nightshift' : 'nightshift';
}

/** The version in nightshift's package.json (dist/src/cli/ → the package root). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version?: string;
  };
  return pkg.version ?? 'unknown';
}
