#!/usr/bin/env node
// Validate MapLibre GL style JSON files with the official style-spec validator.
//
// Usage: node scripts/validate-style.mjs STYLE.json [STYLE.json ...]
//
// Each file is parsed and checked with `validateStyleMin` of @maplibre/maplibre-gl-style-spec
// (the version pinned in package.json). Every error is printed as `file: message`; the exit
// status is 0 when every file is valid, 1 when any is not, 2 on wrong usage.

import { readFile } from 'node:fs/promises';
import { validateStyleMin } from '@maplibre/maplibre-gl-style-spec';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node scripts/validate-style.mjs STYLE.json [STYLE.json ...]');
  process.exit(2);
}

let failed = 0;
for (const file of files) {
  let style;
  try {
    style = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    console.error(`${file}: cannot read or parse: ${err.message}`);
    failed += 1;
    continue;
  }
  const errors = validateStyleMin(style);
  if (errors.length === 0) {
    console.log(`${file}: valid`);
  } else {
    failed += 1;
    for (const e of errors) {
      console.error(`${file}: ${e.message}`);
    }
  }
}

console.log(`${files.length - failed} valid, ${failed} invalid`);
process.exit(failed === 0 ? 0 : 1);
