/**
 * A runnable copy of the CLI built from the current source, for tests that run it as a separate
 * process (the bench runs every encode in its own process). dist/ may be stale or absent while
 * tests run, so encoder/ and main/ are transpiled file by file (TypeScript's transpileModule: no
 * type check, which `npm test` does separately; the sources use isolatedModules and
 * verbatimModuleSyntax, so each file transpiles on its own exactly) into a temporary folder laid
 * out like the repository: <dir>/dist/..., <dir>/bin/h264-studio.js, <dir>/package.json.
 */
import { copyFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

async function sources(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await sources(path)));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts')) found.push(path);
  }
  return found;
}

/** Builds into `dir` and returns the path of its bin/h264-studio.js. */
export async function buildCli(dir: string): Promise<string> {
  const compilerOptions: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ES2022,
    verbatimModuleSyntax: true,
    isolatedModules: true,
  };
  for (const folder of ['encoder', 'main']) {
    for (const file of await sources(join(ROOT, folder))) {
      const { outputText } = ts.transpileModule(await readFile(file, 'utf8'), { compilerOptions, fileName: file });
      const target = join(dir, 'dist', relative(ROOT, file)).replace(/\.ts$/, '.js');
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, outputText);
    }
  }
  await mkdir(join(dir, 'bin'), { recursive: true });
  const bin = join(dir, 'bin', 'h264-studio.js');
  await copyFile(join(ROOT, 'bin', 'h264-studio.js'), bin);
  // ESM for the .js files; the name and version the CLI looks for above itself.
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: pkg.name, version: pkg.version, type: 'module', private: true }) + '\n');
  return bin;
}
