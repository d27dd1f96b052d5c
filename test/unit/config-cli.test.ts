import { describe, expect, test } from '@jest/globals';
import { CONFIG_EXIT_CODE, ignoredLegacyNotice, loadConfigOrExit } from '../../src/config/cli.js';
import type { ExitIo } from '../../src/config/cli.js';
import { requiredEnv } from '../fixtures/config/env.js';

class Exited extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

function capture(): ExitIo & { output: string[] } {
  const output: string[] = [];
  return {
    output,
    writeError: (text) => output.push(text),
    exit: (code) => {
      throw new Exited(code);
    },
  };
}

describe('loadConfigOrExit', () => {
  test('CONF-2: prints every problem to stderr and exits with code 78', () => {
    const io = capture();
    const env = { ...requiredEnv(), PARSING_EMAIL_PORT: '99x', YT_CLIENT_SECRET: 'a secret with blanks' };
    expect(() => loadConfigOrExit(env, { dotenvPath: null }, io)).toThrow(new Exited(CONFIG_EXIT_CODE));
    expect(CONFIG_EXIT_CODE).toBe(78);
    expect(io.output).toEqual([
      'Invalid configuration (2 problems):\n' +
        '  - PARSING_EMAIL_PORT: expected an integer 1..65535, got "99x"\n' +
        '  - YT_CLIENT_SECRET: expected an OAuth client secret (no blanks), got <redacted>\n',
    ]);
  });

  test('CONF-2: a valid configuration is returned without output', () => {
    const io = capture();
    const config = loadConfigOrExit(requiredEnv(), { dotenvPath: null }, io);
    expect([config.tracker.queue, io.output]).toEqual(['AVRSERVICE', []]);
  });
});

describe('ignoredLegacyNotice', () => {
  test('CONF-3: one info line naming the ignored web-UI variables', () => {
    expect(ignoredLegacyNotice({ ignoredLegacyVariables: ['SECRET_KEY', 'ADMIN_EMAIL'] })).toBe(
      'Ignoring legacy web-UI variables (not used by DISPATCH): SECRET_KEY, ADMIN_EMAIL',
    );
    expect(ignoredLegacyNotice({ ignoredLegacyVariables: [] })).toBeNull();
  });
});
