// Once per test run: the embedded database's templates, blank and migrated, dumped to files that
// every test file starts its PGlite databases from. Built per test file instead (each file runs
// in a fresh module context) they cost an initdb and the migrations, ~5 s of CPU, per file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../src/storage/database.js';
import { migrateToLatest } from '../src/storage/migrate.js';

declare module 'vitest' {
  export interface ProvidedContext {
    embeddedTemplates: { blank: string; migrated: string };
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), 'ridescan-templates-'));
  const paths = { blank: join(dir, 'blank.tar'), migrated: join(dir, 'migrated.tar') };
  const db = await openDatabase({});
  try {
    writeFileSync(paths.blank, new Uint8Array(await (await db.dump!()).arrayBuffer()));
    await migrateToLatest(db);
    writeFileSync(paths.migrated, new Uint8Array(await (await db.dump!()).arrayBuffer()));
  } finally {
    await db.close();
  }
  project.provide('embeddedTemplates', paths);
  return () => rmSync(dir, { recursive: true, force: true });
}
