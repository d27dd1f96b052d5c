import { describe, expect, test } from '@jest/globals';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { PEER_VARIABLES, missingPeers } from '../../src/config/sandbox.js';
import { requiredEnv } from '../fixtures/config/env.js';

describe('sandbox peers', () => {
  test('each peer is identified by its variables without a default', () => {
    expect(PEER_VARIABLES.imap.identifying).toEqual([
      'PARSING_EMAIL_LOGIN',
      'PARSING_EMAIL_PSWD',
      'PARSING_EMAIL_SERVER',
      'PARSING_EMAIL_SENT_FOLDER_NAME',
    ]);
    expect(PEER_VARIABLES.towerstore.identifying).toEqual(['TS_POLES_TL_URL', 'TS_AVR_REPORT_URL', 'TS_BS_REPORT_URL']);
    expect(PEER_VARIABLES.telegram.identifying).toEqual(['TG_TOKEN', 'TG_DEFAULT_USER_ID']);
    expect(PEER_VARIABLES.tracker.identifying).toHaveLength(24);
    expect(PEER_VARIABLES.tracker.identifying.every((name) => name.startsWith('YT_'))).toBe(true);
  });

  test('the variables a sandbox peer sets include its endpoints', () => {
    expect(PEER_VARIABLES.imap.all).toEqual([
      'PARSING_EMAIL_LOGIN',
      'PARSING_EMAIL_PSWD',
      'PARSING_EMAIL_SERVER',
      'PARSING_EMAIL_PORT',
      'PARSING_EMAIL_SECURE',
      'PARSING_EMAIL_STARTTLS',
      'PARSING_EMAIL_INBOX_FOLDER_NAME',
      'PARSING_EMAIL_SENT_FOLDER_NAME',
      'PARSING_EMAIL_SMTP_SERVER',
      'PARSING_EMAIL_SMTP_PORT',
      'PARSING_EMAIL_SMTP_SECURE',
    ]);
    expect(PEER_VARIABLES.tracker.all.slice(0, 2)).toEqual(['YT_API_BASE_URL', 'YT_OAUTH_TOKEN_URL']);
    expect(PEER_VARIABLES.telegram.all).toEqual(['TG_TOKEN', 'TG_DEFAULT_USER_ID', 'TG_API_BASE_URL']);
  });

  test('an empty environment misses every peer', () => {
    expect(missingPeers({})).toEqual(['imap', 'tracker', 'towerstore', 'telegram']);
  });

  test('a configured environment misses none', () => {
    expect(missingPeers(requiredEnv())).toEqual([]);
  });

  test('blank values count as unset; defaults such as YT_API_BASE_URL do not identify a peer', () => {
    expect(missingPeers({ TG_TOKEN: ' ', TG_DEFAULT_USER_ID: '', YT_API_BASE_URL: 'http://127.0.0.1:1' })).toEqual([
      'imap',
      'tracker',
      'towerstore',
      'telegram',
    ]);
  });

  test('a partly configured peer is not missing: loadConfig reports what it lacks', () => {
    const env: Record<string, string | undefined> = { ...requiredEnv(), PARSING_EMAIL_PSWD: undefined };
    delete env.PARSING_EMAIL_SENT_FOLDER_NAME;
    expect(missingPeers(env)).toEqual([]);
    let problems: readonly string[] = [];
    try {
      loadConfig(env, { dotenvPath: null });
    } catch (error) {
      if (error instanceof ConfigError) problems = error.problems;
    }
    expect(problems).toEqual([
      'PARSING_EMAIL_PSWD: required (Collection mailbox password, an app password), not set',
      'PARSING_EMAIL_SENT_FOLDER_NAME: required (IMAP name of the Sent folder, in modified UTF-7), not set',
    ]);
  });

  test('only the peers left unconfigured are missing', () => {
    const env: Record<string, string | undefined> = { ...requiredEnv() };
    for (const name of [...PEER_VARIABLES.tracker.identifying, ...PEER_VARIABLES.telegram.identifying])
      delete env[name];
    expect(missingPeers(env)).toEqual(['tracker', 'telegram']);
  });
});
