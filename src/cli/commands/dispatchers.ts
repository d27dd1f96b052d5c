// ASSIGN-6: add, activate, deactivate and list dispatchers.
import type { Command } from 'commander';
import { z } from 'zod';
import { addDispatcher } from '../../adapters/db/dispatchers.js';
import { listDispatchers, setDispatcherActive } from '../../adapters/db/cli-queries.js';
import { CliFailure, printJson, printLines, withDb } from '../context.js';
import { loginProblem } from '../login.js';

const emailSchema = z.email().max(254);

function requireLogin(login: string): void {
  const problem = loginProblem(login);
  if (problem !== null) throw new CliFailure(problem);
}

export function registerDispatchers(program: Command): void {
  const dispatchers = program.command('dispatchers').description('manage dispatchers (ASSIGN-6)');

  dispatchers
    .command('add')
    .description('add a dispatcher (the login must equal the Tracker login)')
    .argument('<login>', 'Tracker login')
    .option('--email <address>', 'e-mail address')
    .option('--name <display name>', 'display name')
    .option('--inactive', 'add as inactive (not a candidate for assignment)')
    .action(async (login: string, options: { email?: string; name?: string; inactive?: boolean }) => {
      requireLogin(login);
      if (options.email !== undefined && !emailSchema.safeParse(options.email).success) {
        throw new CliFailure(`--email ${JSON.stringify(options.email)} is not an e-mail address`);
      }
      const added = await withDb((db) =>
        addDispatcher(db, {
          login,
          email: options.email ?? null,
          displayName: options.name ?? null,
          isActive: options.inactive !== true,
        }),
      );
      if (!added) throw new CliFailure(`dispatcher ${login} already exists (left unchanged)`);
      printLines([`added dispatcher ${login} (${options.inactive === true ? 'inactive' : 'active'})`]);
    });

  for (const [name, active] of [
    ['activate', true],
    ['deactivate', false],
  ] as const) {
    dispatchers
      .command(name)
      .description(`${name} a dispatcher`)
      .argument('<login>', 'Tracker login')
      .action(async (login: string) => {
        requireLogin(login);
        const found = await withDb((db) => setDispatcherActive(db, login, active));
        if (!found) throw new CliFailure(`no dispatcher with login ${login}`);
        printLines([`dispatcher ${login} is now ${active ? 'active' : 'inactive'}`]);
      });
  }

  dispatchers
    .command('list')
    .description('list dispatchers')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const rows = await withDb((db) => listDispatchers(db));
      if (options.json === true) return printJson(rows);
      if (rows.length === 0) return printLines(['no dispatchers']);
      printLines(
        rows.map((d) => [d.login, d.isActive ? 'active' : 'inactive', d.email ?? '-', d.displayName ?? '-'].join('\t')),
      );
    });
}
