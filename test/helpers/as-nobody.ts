/**
 * Permission errors can't be provoked as root (root reads and writes through any mode bits), and
 * CI runs as root. These helpers run a snippet against the built modules as the unprivileged user
 * 65534 (`setpriv`, util-linux), so permission tests run there too. Files the snippet touches must
 * be reachable by that user (world-traversable directories).
 */
import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildCli } from './build-cli.js';

export const isRoot = process.getuid?.() === 0;

let built: Promise<string> | null = null;

/** The built dist/ folder (once per test file), readable by every user. */
function distDir(): Promise<string> {
  built ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'h264-studio-nobody-'));
    await chmod(dir, 0o755);
    await buildCli(dir);
    return join(dir, 'dist');
  })();
  return built;
}

/**
 * Runs `body` (the inside of an async function; `mod` is the imported module at `modulePath`,
 * relative to dist/, e.g. 'main/engine/file-source.js') as user 65534 and returns what it returns
 * (JSON-serialisable), or the message of the error it throws as { error }.
 */
export async function runAsNobody(modulePath: string, body: string): Promise<{ value?: unknown; error?: string; code?: string }> {
  const url = pathToFileURL(join(await distDir(), modulePath)).href;
  const script = `const mod = await import(${JSON.stringify(url)});
try { const value = await (async () => { ${body} })(); process.stdout.write(JSON.stringify({ value })); }
catch (e) { process.stdout.write(JSON.stringify({ error: e.message, code: e.code })); }`;
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--input-type=module', '-e', script], {
    cwd: '/', encoding: 'utf8', timeout: 30_000,
  });
  if (r.status !== 0 || r.stdout === '') throw new Error(`setpriv/node as user 65534 failed (${r.status}): ${r.stderr || r.error?.message}`);
  return JSON.parse(r.stdout) as { value?: unknown; error?: string; code?: string };
}
