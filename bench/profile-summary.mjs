#!/usr/bin/env node
// Self time per function from a V8 CPU profile (`node --cpu-prof`), top N first: the text version
// of DevTools' Bottom-Up view. Usage: node bench/profile-summary.mjs [file.cpuprofile | dir] [N]
// (default: the newest .cpuprofile in prof/, top 20). See encoder/docs/profiling.md.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const [target = 'prof', top = '20'] = process.argv.slice(2);
let file = target;
if (statSync(target).isDirectory()) {
  const found = readdirSync(target).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(target, f));
  if (found.length === 0) throw new Error(`no .cpuprofile in ${target}`);
  file = found.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}
const { nodes, samples, timeDeltas } = JSON.parse(readFileSync(file, 'utf8'));

// timeDeltas[i] is the time before sample i, so sample i lasted until the next one.
const selfUs = new Map();
for (let i = 0; i < samples.length; i++) selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + (timeDeltas[i + 1] ?? 0));

// One row per function (a function appears once per call path in the profile's tree).
const rows = new Map();
let total = 0;
for (const { id, callFrame: f } of nodes) {
  const us = selfUs.get(id) ?? 0;
  total += us;
  const path = f.url.startsWith('file:') ? relative(process.cwd(), fileURLToPath(f.url)) : f.url;
  const where = path ? `${path}:${f.lineNumber + 1}` : '';
  const key = `${f.functionName || '(anonymous)'} ${where}`;
  rows.set(key, (rows.get(key) ?? 0) + us);
}

console.log(`${file}: ${(total / 1e3).toFixed(0)} ms sampled, ${samples.length} samples`);
console.log('   self ms       %  function');
for (const [key, us] of [...rows].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) {
  console.log(`${(us / 1e3).toFixed(1).padStart(9)}  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${key}`);
}
