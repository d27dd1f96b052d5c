// Regenerates `.env.example` and `docs/CONFIGURATION.md` from the registry (tests fail when they drift):
//   npx tsc -p tsconfig.json && node dist/src/config/write-env-example.js
import { writeFileSync } from 'node:fs';
import { projectPath } from '../project-root.js';
import { renderConfigurationDoc, renderEnvExample } from './reference.js';

for (const [file, text] of [
  ['.env.example', renderEnvExample()],
  ['docs/CONFIGURATION.md', renderConfigurationDoc()],
] as const) {
  writeFileSync(projectPath(file), text);
  process.stdout.write(`wrote ${file}\n`);
}
