import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import {
  ensureSandboxCertificate,
  startSmtpCapture,
  type SandboxCertificate,
  type SmtpCapture,
  type SmtpCaptureOptions,
} from '../../src/sandbox/mail/index.js';

// The in-process SMTP server that notice tests point the product at (NOTIFY-2..5).
const DISPATCHER = { address: 'disp@example.ru', password: 'disp-password' };

let certificateDir: string;
let certificate: SandboxCertificate;

beforeAll(async () => {
  certificateDir = await mkdtemp(join(tmpdir(), 'capture-tls-'));
  certificate = await ensureSandboxCertificate(certificateDir);
});

afterAll(async () => {
  await rm(certificateDir, { recursive: true, force: true });
});

async function withCapture(options: SmtpCaptureOptions, run: (capture: SmtpCapture) => Promise<void>): Promise<void> {
  const capture = await startSmtpCapture(options);
  try {
    await run(capture);
  } finally {
    await capture.close();
  }
}

function client(
  capture: SmtpCapture,
  auth?: { user: string; pass: string },
  tls: { ca?: string } = {},
): Transporter<SMTPTransport.SentMessageInfo> {
  const options: SMTPTransport.Options = { host: capture.host, port: capture.port, secure: capture.secure };
  if (tls.ca !== undefined) options.tls = { ca: tls.ca };
  if (auth !== undefined) options.auth = auth;
  return nodemailer.createTransport(options);
}

const notice = {
  from: 'disp@example.ru',
  to: 'avr@remont.ru',
  cc: 'disp@example.ru',
  subject: 'Re: AVRSERVICE-7: Авария',
  text: 'Прошу принять заявку в работу.',
  messageId: '<dispatch.contractor.7.abc@dispatch.example.ru>',
};

describe('SMTP capture server', () => {
  test('NOTIFY-2: records the envelope, the AUTH login and the raw message, parsed on demand', async () => {
    await withCapture({ authUsers: [DISPATCHER] }, async (capture) => {
      const info = await client(capture, { user: DISPATCHER.address, pass: DISPATCHER.password }).sendMail(notice);
      expect(info.response).toBe('250 Message captured');

      expect(capture.messages).toHaveLength(1);
      const [message] = capture.messages;
      expect(message?.envelope).toEqual({ from: 'disp@example.ru', to: ['avr@remont.ru', 'disp@example.ru'] });
      expect(message?.user).toBe('disp@example.ru');
      expect(message?.raw.toString('utf8')).toContain('Message-ID: <dispatch.contractor.7.abc@dispatch.example.ru>');
      const parsed = await message?.parse();
      expect(parsed?.subject).toBe('Re: AVRSERVICE-7: Авария');
      expect(parsed?.text?.trim()).toBe('Прошу принять заявку в работу.');
      expect(parsed?.cc).toMatchObject({ value: [{ address: 'disp@example.ru' }] });
    });
  });

  test('with authUsers, a wrong password gets 535 and sending without AUTH gets 530; nothing is recorded', async () => {
    await withCapture({ authUsers: [DISPATCHER] }, async (capture) => {
      await expect(client(capture, { user: DISPATCHER.address, pass: 'wrong' }).sendMail(notice)).rejects.toMatchObject(
        {
          code: 'EAUTH',
          responseCode: 535,
        },
      );
      await expect(client(capture).sendMail(notice)).rejects.toMatchObject({ responseCode: 530 });
      expect(capture.messages).toEqual([]);
    });
  });

  test('without authUsers any sender is accepted and no login is recorded', async () => {
    await withCapture({}, async (capture) => {
      await client(capture).sendMail(notice);
      expect(capture.messages.map((m) => m.user)).toEqual([undefined]);
    });
  });

  test('NOTIFY-5: a transient failure answers 4xx for the given number of messages, then accepts again', async () => {
    await withCapture({ failWith: { kind: 'transient', times: 2 } }, async (capture) => {
      const transport = client(capture);
      await expect(transport.sendMail(notice)).rejects.toMatchObject({ responseCode: 451 });
      await expect(transport.sendMail(notice)).rejects.toMatchObject({ responseCode: 451 });
      const info = await transport.sendMail(notice);

      expect(info.response).toBe('250 Message captured');
      expect(capture.rejections.map((r) => r.code)).toEqual([451, 451]);
      expect(capture.rejections[0]?.envelope).toEqual({
        from: 'disp@example.ru',
        to: ['avr@remont.ru', 'disp@example.ru'],
      });
      expect(capture.messages).toHaveLength(1);
    });
  });

  test('NOTIFY-5: a permanent failure answers 5xx with the given code and text until cleared', async () => {
    await withCapture(
      { failWith: { kind: 'permanent', code: 550, message: 'Mailbox unavailable' } },
      async (capture) => {
        const transport = client(capture);
        await expect(transport.sendMail(notice)).rejects.toMatchObject({
          responseCode: 550,
          response: '550 Mailbox unavailable',
        });
        await expect(transport.sendMail(notice)).rejects.toMatchObject({ responseCode: 550 });
        capture.setFailure(undefined);
        await transport.sendMail(notice);

        expect(capture.rejections.map((r) => r.code)).toEqual([550, 550]);
        expect(capture.messages).toHaveLength(1);
      },
    );
  });

  test('NOTIFY-3: drop keeps the message but closes the connection before the reply', async () => {
    await withCapture({ failWith: { kind: 'drop', times: 1 } }, async (capture) => {
      const transport = client(capture);
      await expect(transport.sendMail(notice)).rejects.toMatchObject({ code: 'ECONNECTION' });
      expect(capture.messages).toHaveLength(1);
      expect(capture.rejections).toEqual([]);

      await transport.sendMail(notice); // the resend with the same Message-ID goes through
      const ids = await Promise.all(capture.messages.map(async (m) => (await m.parse()).messageId));
      expect(ids).toEqual([notice.messageId, notice.messageId]);
    });
  });

  test('waitForMessages resolves when the count is reached and rejects after its timeout', async () => {
    await withCapture({}, async (capture) => {
      const waiting = capture.waitForMessages(2, 5_000);
      await client(capture).sendMail(notice);
      await client(capture).sendMail({ ...notice, messageId: '<second@dispatch.example.ru>' });
      expect((await waiting).length).toBe(2);
      await expect(capture.waitForMessages(3, 100)).rejects.toThrow('SMTP capture: 2 of 3 messages after 100 ms');
    });
  });

  test('CONF-4: implicit TLS (port 465 style) with AUTH, trusted through the sandbox certificate', async () => {
    const tls = { key: certificate.key, cert: certificate.cert, implicit: true };
    await withCapture({ authUsers: [DISPATCHER], tls }, async (capture) => {
      expect(capture.secure).toBe(true);
      const auth = { user: DISPATCHER.address, pass: DISPATCHER.password };
      await client(capture, auth, { ca: certificate.cert }).sendMail(notice);
      expect(capture.messages.map((m) => m.user)).toEqual(['disp@example.ru']);
    });
  });

  test('CONF-4: STARTTLS with the sandbox certificate when TLS is mandatory for the client', async () => {
    await withCapture(
      { authUsers: [DISPATCHER], tls: { key: certificate.key, cert: certificate.cert } },
      async (capture) => {
        const transport = nodemailer.createTransport({
          host: capture.host,
          port: capture.port,
          secure: false,
          requireTLS: true,
          tls: { ca: certificate.cert },
          auth: { user: DISPATCHER.address, pass: DISPATCHER.password },
        });
        await transport.sendMail(notice);
        expect(capture.messages).toHaveLength(1);
      },
    );
  });
});
