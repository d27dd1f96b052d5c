// Documentation generated from the registry: `.env.example` and a Markdown reference table.
import { GROUPS, VARIABLE_LIST } from './variables.js';
import type { VariableDefinition, VariableGroup } from './variables.js';

const GROUP_ORDER = Object.keys(GROUPS) as VariableGroup[];

function byGroup(): [VariableGroup, VariableDefinition[]][] {
  return GROUP_ORDER.map((group) => [group, VARIABLE_LIST.filter((variable) => variable.group === group)]);
}

/** How the value is obtained when the variable is not set, in words. */
export function describeDefault(variable: VariableDefinition): string {
  const spec = variable.default;
  switch (spec.kind) {
    case 'value':
      return spec.value === '' ? 'empty' : `\`${spec.value}\``;
    case 'required':
      return 'required';
    case 'absent':
      return 'not set';
    case 'derived':
      return `derived: ${spec.rule}`;
    case 'paired':
      return `required with ${spec.partner} (${spec.whenBlank})`;
    case 'ignored':
      return 'ignored';
  }
}

function describeSecret(variable: VariableDefinition): string {
  if (variable.secret === undefined) return 'no';
  return variable.secret.part === 'url-password' ? 'yes (password part)' : 'yes';
}

function exampleLine(variable: VariableDefinition): string {
  const spec = variable.default;
  if (spec.kind === 'value') return `# ${variable.name}=${spec.value}`;
  return `# ${variable.name}=${variable.example ?? ''}`;
}

/** The meaning with its SPEC rule, e.g. `IMAP name of the inbox folder (MAIL-1)`. */
function meaning(variable: VariableDefinition): string {
  return variable.spec === undefined ? variable.description : `${variable.description} (${variable.spec})`;
}

function exampleNotes(variable: VariableDefinition): string[] {
  const notes = [meaning(variable) + '.'];
  if (variable.details !== undefined) notes.push(variable.details);
  const facts = [`Expected: ${variable.form.expected}.`];
  if (variable.default.kind === 'required') facts.push('Required.');
  if (variable.default.kind === 'derived') facts.push(`Default: ${variable.default.rule}.`);
  if (variable.default.kind === 'paired') facts.push(`Required together with ${variable.default.partner}.`);
  if (variable.default.kind === 'absent') facts.push('Optional.');
  if (variable.default.kind === 'ignored') facts.push('Accepted and ignored.');
  if (variable.secret !== undefined)
    facts.push(describeSecret(variable) === 'yes' ? 'Secret.' : 'Secret (password part).');
  notes.push(facts.join(' '));
  return notes.map((note) => `# ${note}`);
}

/**
 * `.env.example`: every variable, grouped, each commented out with its default or a placeholder,
 * so that a copy used as-is starts with all defaults and every external peer sandboxed.
 */
export function renderEnvExample(): string {
  const out = [
    '# DISPATCH configuration (SPEC §6). Generated from src/config/variables.ts by',
    '# src/config/write-env-example.ts: do not edit by hand.',
    '#',
    '# Every line is commented out. Uncomment and set what you need: shown values are the defaults;',
    '# variables marked "Required." have no default and show a placeholder. A .env file in the working',
    '# directory is read at start; the process environment wins unless DOTENV_OVERRIDE=true.',
  ];
  for (const [group, variables] of byGroup()) {
    out.push('', `# ===== ${GROUPS[group]} =====`);
    for (const variable of variables) out.push('', ...exampleNotes(variable), exampleLine(variable));
  }
  return out.join('\n') + '\n';
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Markdown reference: variable, meaning, default/required, secret. */
export function renderConfigReference(): string {
  const out = ['# Configuration reference', '', 'Generated from `src/config/variables.ts`.'];
  for (const [group, variables] of byGroup()) {
    out.push('', `## ${GROUPS[group]}`, '', '| Variable | Meaning | Default | Secret |', '|---|---|---|---|');
    for (const variable of variables) {
      const text = `${meaning(variable)}.${variable.details === undefined ? '' : ` ${variable.details}`}`;
      out.push(
        `| \`${variable.name}\` | ${cell(text)} | ${cell(describeDefault(variable))} | ${describeSecret(variable)} |`,
      );
    }
  }
  return out.join('\n') + '\n';
}

/** docs/CONFIGURATION.md: the reference table, with how to regenerate it. */
export function renderConfigurationDoc(): string {
  return renderConfigReference().replace(
    'Generated from `src/config/variables.ts`.',
    'Generated from `src/config/variables.ts` by `node dist/src/config/write-env-example.js`; do not edit by hand. ' +
      'Every variable is read from the environment or from `.env` in the working directory (CONF-1).',
  );
}
