/**
 * @module scripts/make-samples
 * Writes samples/county-committee.xlsx and samples/county-committee-gbk.csv from
 * samples/county-committee.csv (`npx tsx scripts/make-samples.ts`); a rerun writes the same bytes.
 */
import { writeFileSync } from 'node:fs';
import { SAMPLES, sampleFiles } from './sample-files.ts';

const files = sampleFiles();
for (const [name, bytes] of Object.entries(files)) writeFileSync(new URL(name, SAMPLES), bytes);
process.stdout.write(`wrote ${Object.keys(files).join(', ')} to samples/\n`);
