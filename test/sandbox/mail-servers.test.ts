import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { connect } from 'node:net';
import { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import {
  appendMessage,
  assertMailPeersInstalled,
  listMessages,
  startMailServers,
  waitForMessage,
  type Endpoint,
  type MailServers,
  type StoredMessage,
} from '../../src/sandbox/mail/index.js';
import { isAlive } from '../../src/sandbox/mail/processes.js';

// Real Dovecot (IMAP, LMTP) and Postfix (SMTP submission -> LMTP) started once for this file.
// Without the Debian packages beforeAll fails with "mail peers are not installed ..." (no skipping).
let servers: MailServers;

beforeAll(async () => {
  const started = Date.now();
  servers = await startMailServers();
  // measured start-up, printed for the benchmark notes (not asserted: the CI box is slow and shared)
  process.stdout.write(`mail servers started in ${Date.now() - started} ms\n`);
}, 60_000);

afterAll(async () => {
  await servers?.stop();
}, 60_000);

const COLLECTION = 'disp@example.ru';
const SENT_MUTF7 = '&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1'; // «Отправленные» as written in the SPEC (CONF-3)

function submission(user: string, password: string, endpoint: 'smtp' | 'smtps' = 'smtp') {
  const { host, port } = servers[endpoint];
  return nodemailer.createTransport({
    host,
    port,
    secure: endpoint === 'smtps',
    requireTLS: endpoint === 'smtp', // SPEC CONF-4: PARSING_EMAIL_SMTP_SECURE=false means mandatory STARTTLS
    tls: { ca: servers.tls.ca },
    auth: { user, pass: password },
  });
}

function passwordOf(address: string): string {
  return servers.account(address).password;
}

const withMessageId = (id: string) => (m: StoredMessage) => m.raw.toString('latin1').includes(`Message-ID: ${id}`);

describe('sandbox mail servers: Dovecot + Postfix', () => {
  test('a missing mail server binary is reported with the command that installs it', async () => {
    const missing: Array<readonly [string, string]> = [['/nonexistent/sbin/dovecot', 'dovecot-imapd']];
    await expect(assertMailPeersInstalled(missing)).rejects.toThrow(
      'mail peers are not installed: missing /nonexistent/sbin/dovecot (package dovecot-imapd). ' +
        'Install them as root with: bash scripts/mail/install-mail-peers.sh',
    );
  });

  test('SMTP with AUTH over STARTTLS delivers into the INBOX with headers and Cyrillic body intact', async () => {
    const messageId = '<incident-1@operator.ru>';
    const info = await submission('noc@operator.ru', passwordOf('noc@operator.ru')).sendMail({
      from: '"НОК Оператор" <noc@operator.ru>',
      to: COLLECTION,
      subject: 'Авария на БС MSK0123',
      text: 'Нет питания на БС MSK0123, опора 12345-MSK-01.',
      messageId,
    });
    expect(info.accepted).toEqual([COLLECTION]);

    const stored = await waitForMessage(servers.account(COLLECTION), 'INBOX', withMessageId(messageId));
    const mail = await simpleParser(stored.raw);
    expect(mail.messageId).toBe(messageId);
    expect(mail.subject).toBe('Авария на БС MSK0123');
    expect(mail.from?.value).toEqual([{ address: 'noc@operator.ru', name: 'НОК Оператор' }]);
    expect(mail.to).toMatchObject({ value: [{ address: COLLECTION, name: '' }] });
    expect(mail.text?.trim()).toBe('Нет питания на БС MSK0123, опора 12345-MSK-01.');
    // it really went through the MTA: Postfix's Received header says ESMTP + TLS (S) + AUTH (A)
    expect(stored.raw.toString('latin1')).toMatch(/\bby smtp\.sandbox\.invalid \(Postfix\) with ESMTPSA\b/);
  });

  test('SMTPS (implicit TLS, like port 465) delivers a notice to the contractor and its Cc copy to the collection mailbox', async () => {
    const messageId = '<dispatch.contractor.1.abc@dispatch.example.ru>';
    await submission(COLLECTION, passwordOf(COLLECTION), 'smtps').sendMail({
      from: COLLECTION,
      to: 'avr@remont.ru',
      cc: COLLECTION,
      subject: 'Re: AVRSERVICE-1: Авария',
      text: 'Прошу принять заявку в работу.',
      messageId,
      headers: { 'Auto-Submitted': 'auto-generated' },
    });

    const [atContractor, copy] = await Promise.all([
      waitForMessage(servers.account('avr@remont.ru'), 'INBOX', withMessageId(messageId)),
      waitForMessage(servers.account(COLLECTION), 'INBOX', withMessageId(messageId)),
    ]);
    for (const stored of [atContractor, copy]) {
      const mail = await simpleParser(stored.raw);
      expect(mail.subject).toBe('Re: AVRSERVICE-1: Авария');
      expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
      expect(mail.text?.trim()).toBe('Прошу принять заявку в работу.');
    }
  });

  test('mail to a domain without a sandbox mailbox lands in the sink mailbox, nothing leaves the machine', async () => {
    const messageId = '<outside-1@example.ru>';
    await submission(COLLECTION, passwordOf(COLLECTION)).sendMail({
      from: COLLECTION,
      to: 'someone@gmail.com',
      subject: 'Наружу',
      text: 'x',
      messageId,
    });
    const stored = await waitForMessage(servers.account(servers.sink.address), 'INBOX', withMessageId(messageId));
    expect((await simpleParser(stored.raw)).to).toMatchObject({ value: [{ address: 'someone@gmail.com' }] });
  });

  test('mail to an unknown mailbox of a sandbox domain bounces back to the sender', async () => {
    const messageId = '<to-nobody-1@example.ru>';
    await submission(COLLECTION, passwordOf(COLLECTION)).sendMail({
      from: COLLECTION,
      to: 'nobody@remont.ru',
      subject: 'Кому-то',
      text: 'x',
      messageId,
    });
    const bounce = await waitForMessage(servers.account(COLLECTION), 'INBOX', (m) => {
      const text = m.raw.toString('latin1');
      return text.startsWith('Return-Path: <>') && text.includes(messageId);
    });
    const mail = await simpleParser(bounce.raw);
    expect(mail.subject).toBe('Undelivered Mail Returned to Sender');
    expect(mail.from?.value).toEqual([{ address: 'MAILER-DAEMON@smtp.sandbox.invalid', name: 'Mail Delivery System' }]);
    expect(mail.headers.get('content-type')).toMatchObject({
      value: 'multipart/report',
      params: { 'report-type': 'delivery-status' },
    });
  });

  test('a wrong SMTP password is rejected with 535', async () => {
    const sending = submission(COLLECTION, 'wrong-password').sendMail({ from: COLLECTION, to: COLLECTION, text: 'x' });
    await expect(sending).rejects.toMatchObject({ code: 'EAUTH', responseCode: 535 });
  });

  test('without AUTH, or as another mailbox than the login, SMTP refuses the sender with 553', async () => {
    const { host, port } = servers.smtp;
    const anonymous = nodemailer.createTransport({ host, port, requireTLS: true, tls: { ca: servers.tls.ca } });
    await expect(anonymous.sendMail({ from: COLLECTION, to: COLLECTION, text: 'x' })).rejects.toMatchObject({
      code: 'EENVELOPE',
      responseCode: 553,
    });
    const impostor = submission('noc@operator.ru', passwordOf('noc@operator.ru'));
    await expect(impostor.sendMail({ from: COLLECTION, to: 'avr@remont.ru', text: 'x' })).rejects.toMatchObject({
      code: 'EENVELOPE',
      responseCode: 553,
    });
  });

  test('a wrong IMAP password is rejected', async () => {
    const { host, port } = servers.imap;
    const client = new ImapFlow({
      host,
      port,
      secure: false,
      auth: { user: COLLECTION, pass: 'wrong-password' },
      logger: false,
    });
    await expect(client.connect()).rejects.toMatchObject({ authenticationFailed: true });
    client.close();
  });

  test('MAIL-1: the collection mailbox lists INBOX, Sent (\\Sent), «Отправленные» in modified UTF-7, and the Tracker folders', async () => {
    const lines = await imapTranscript(servers.imap, [
      `LOGIN ${COLLECTION} ${passwordOf(COLLECTION)}`,
      'LIST "" "*" RETURN (SPECIAL-USE)',
      `SELECT "${SENT_MUTF7}-"`,
      'LOGOUT',
    ]);
    expect(lines.filter((l) => l.startsWith('* LIST')).sort()).toEqual([
      '* LIST () "/" &BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-',
      '* LIST () "/" INBOX',
      '* LIST () "/" YandexTrackerArchive',
      '* LIST () "/" YandexTrackerInbox',
      '* LIST (\\Sent) "/" Sent',
    ]);
    expect(lines.find((l) => l.startsWith('c '))).toMatch(/^c OK \[READ-WRITE\]/);
  });

  test('APPEND into «Отправленные» by its modified UTF-7 name keeps bytes, flags and INTERNALDATE', async () => {
    const raw = Buffer.from(
      [
        'From: disp@example.ru',
        'To: noc@operator.ru',
        'Subject: =?UTF-8?B?0JfQsNGP0LLQutCwINC/0YDQuNC90Y/RgtCw?=',
        'Message-ID: <sent-1@example.ru>',
        'Date: Mon, 01 Jan 2024 12:00:00 +0300',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: 8bit',
        '',
        'Заявка принята в работу.',
        '',
      ].join('\r\n'),
    );
    const internalDate = new Date('2024-01-01T09:00:05.000Z');
    const account = servers.account(COLLECTION);
    const appended = await appendMessage(account, SENT_MUTF7, raw, { internalDate, flags: ['\\Seen'] });
    expect(appended.folder).toBe('Отправленные');

    const inFolder = await listMessages(account, 'Отправленные');
    expect(inFolder.map((m) => m.uid)).toEqual([appended.uid]);
    const [stored] = inFolder;
    expect(stored?.raw.equals(raw)).toBe(true);
    expect(stored?.flags).toEqual(['\\Seen']);
    expect(stored?.internalDate.toISOString()).toBe('2024-01-01T09:00:05.000Z');
    expect((await simpleParser(raw)).subject).toBe('Заявка принята');
  });

  test('MAIL-3: a client in IDLE is told about a delivery (EXISTS) within seconds', async () => {
    const { host, port } = servers.imap;
    const client = new ImapFlow({
      host,
      port,
      secure: false,
      auth: { user: 'avr@remont.ru', pass: passwordOf('avr@remont.ru') },
      logger: false,
    });
    await client.connect();
    let idleEnded: Promise<unknown> | undefined;
    try {
      const mailbox = await client.mailboxOpen('INBOX');
      const before = mailbox.exists;
      const exists = new Promise<{ count: number; prevCount: number }>((resolve) => client.on('exists', resolve));
      idleEnded = client.idle().catch(() => undefined); // IDLE lasts until the next command
      await until(() => client.idling, 5_000);

      const sentAt = Date.now();
      await submission('noc@operator.ru', passwordOf('noc@operator.ru')).sendMail({
        from: 'noc@operator.ru',
        to: 'avr@remont.ru',
        subject: 'IDLE',
        text: 'x',
      });
      const event = await withTimeout(exists, 8_000, 'no EXISTS while in IDLE');
      expect(event).toMatchObject({ count: before + 1, prevCount: before });
      process.stdout.write(`SMTP -> IDLE EXISTS after ${Date.now() - sentAt} ms\n`);
    } finally {
      await client.logout();
    }
    await idleEnded;
  });

  // last: it stops the servers that the tests above share
  test('stop() ends every Dovecot and Postfix process and frees the ports', async () => {
    const pids = await servers.pids();
    expect(pids.length).toBeGreaterThanOrEqual(8); // two masters and their resident children
    expect(pids.every(isAlive)).toBe(true);

    await servers.stop();

    expect(pids.filter(isAlive)).toEqual([]);
    for (const endpoint of [servers.imap, servers.lmtp, servers.smtp, servers.smtps]) {
      await expect(canConnect(endpoint)).resolves.toBe(false);
    }
  });
});

/** Sends tagged IMAP commands one by one (tags a, b, c, ...) and returns every line received. */
async function imapTranscript(endpoint: Endpoint, commands: string[]): Promise<string[]> {
  const socket = connect(endpoint.port, endpoint.host);
  const lines: string[] = [];
  let pending = '';
  let onLine: (() => void) | undefined;
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    pending += chunk;
    let end: number;
    while ((end = pending.indexOf('\r\n')) >= 0) {
      lines.push(pending.slice(0, end));
      pending = pending.slice(end + 2);
    }
    onLine?.();
  });
  const waitFor = (done: () => boolean) =>
    withTimeout(
      new Promise<void>((resolve) => {
        onLine = () => done() && resolve();
        onLine();
      }),
      5_000,
      `IMAP transcript stalled: ${lines.join(' | ')}`,
    );
  try {
    await waitFor(() => lines.length > 0); // greeting
    for (const [index, command] of commands.entries()) {
      const tag = String.fromCharCode(97 + index);
      socket.write(`${tag} ${command}\r\n`);
      await waitFor(() => lines.some((l) => l.startsWith(`${tag} `)));
    }
    return lines;
  } finally {
    socket.destroy();
  }
}

function canConnect({ host, port }: Endpoint): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
