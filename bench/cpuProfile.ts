// A V8 CPU profile (node --cpu-prof) as two short tables of self time: by file (V8's own entries,
// (garbage collector), (idle) for waiting on I/O and (program), as categories of their own) and by
// function. Used by bench:load-phases; on its own: `node dist/bench/cpuProfile.js FILE.cpuprofile [top]`.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTable } from '../src/application/cli/format/table.js';

export function profileSummary(path: string, topFiles: number, topFunctions: number): string {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const { byFile, byFunction, total } = selfTimes(profile);
  const top = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, ms]) => [name, (ms / 1000).toFixed(2), `${((100 * ms) / total).toFixed(1)}%`]);
  return [
    `profiled ${(total / 1000).toFixed(2)} s`,
    formatTable(['file (or V8 category)', 's', 'share'], top(byFile, topFiles)),
    '',
    formatTable(['function', 's', 'share'], top(byFunction, topFunctions)),
  ].join('\n');
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time (ms) per file and per function; V8's own entries ((garbage collector), (idle), (program)) are categories of their own. */
function selfTimes(profile: CpuProfile): { byFile: Map<string, number>; byFunction: Map<string, number>; total: number } {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const byFile = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    total += ms;
    const { functionName, url, lineNumber } = nodes.get(profile.samples[i])!.callFrame;
    const where = url === '' ? '' : shortUrl(url);
    const fileKey = where === '' ? functionName || '(anonymous)' : where;
    const fnKey = where === '' ? functionName || '(anonymous)' : `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
    byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + ms);
    byFunction.set(fnKey, (byFunction.get(fnKey) ?? 0) + ms);
  }
  return { byFile, byFunction, total };
}

/** node:internal/… as is; our files and packages from dist/ or node_modules/ on. */
function shortUrl(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('node_modules/');
  if (modules >= 0) return path.slice(modules + 'node_modules/'.length);
  const dist = path.indexOf('/dist/');
  if (dist >= 0) return path.slice(dist + '/dist/'.length);
  return path.startsWith('node:') ? path : basename(path);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (!process.argv[2]) {
    console.error('usage: node dist/bench/cpuProfile.js FILE.cpuprofile [top]');
    process.exit(2);
  }
  const top = Number(process.argv[3] ?? 25);
  console.log(profileSummary(process.argv[2], top, top));
}
