// Regenerates `.env.example` at the project root from the registry:
//   npx tsc -p tsconfig.json && node dist/src/config/write-env-example.js
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderEnvExample } from './reference.js';

// Compiled to dist/src/config/: the project root is three levels up.
const target = fileURLToPath(new URL('../../../.env.example', import.meta.url));
writeFileSync(target, renderEnvExample());
process.stdout.write(`wrote ${target}\n`);
