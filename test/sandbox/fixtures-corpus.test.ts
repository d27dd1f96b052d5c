import { beforeAll, describe, expect, test } from '@jest/globals';
import type { ParsedMail } from 'mailparser';
import { simpleParser } from 'mailparser';
import { CorpusOptionsError } from '../../src/sandbox/fixtures/corpus-plan.js';
import type { ExpectedIncident, ExpectedMail } from '../../src/sandbox/fixtures/expected.js';
import type { Fixtures } from '../../src/sandbox/fixtures/fixtures.js';
import { generateFixtures } from '../../src/sandbox/fixtures/fixtures.js';
import type { MailClass, MailKind } from '../../src/sandbox/fixtures/mail-kinds.js';
import { MAIL_KINDS } from '../../src/sandbox/fixtures/mail-kinds.js';

/** NOISE-1, re-stated from the SPEC over what mailparser sees in the bytes. */
function classify(mail: ExpectedMail, parsed: ParsedMail, raw: Buffer, config: Record<string, string>): MailClass {
  const headers = parsed.headers;
  const subject = parsed.subject ?? '';
  const queueKey = new RegExp(`\\b${config.YT_QUEUE ?? ''}-\\d+\\b`, 'i');
  const from = (parsed.from?.value[0]?.address ?? '').toLowerCase();
  const domain = (config.MAIL_MESSAGE_ID_DOMAIN ?? '').replace(/\./g, '\\.');
  if (new RegExp(`^<dispatch\\..+@${domain}>$`).test(parsed.messageId ?? '')) return 'own';
  const trackerHeaders = [...headers.keys()].some(
    (k) => k.startsWith('x-yandex-tracker-') || k.startsWith('x-tracker-'),
  );
  if (trackerHeaders) return queueKey.test(subject) ? 'tracker' : 'foreign_tracker';
  const contentType = headers.get('content-type') as { value?: string } | undefined;
  const local = from.slice(0, from.indexOf('@'));
  if (
    contentType?.value === 'multipart/report' ||
    raw.includes('Content-Type: message/delivery-status') ||
    local === 'mailer-daemon' ||
    local === 'postmaster' ||
    /undeliverable mail/i.test(subject)
  )
    return 'bounce';
  const headerText = (name: string): string | undefined => {
    const value = headers.get(name);
    return typeof value === 'string' ? value.toLowerCase() : undefined;
  };
  const autoSubmitted = headerText('auto-submitted');
  const precedence = headerText('precedence') ?? '';
  if (
    (autoSubmitted !== undefined && autoSubmitted !== 'no') ||
    headers.has('x-autoreply') ||
    headers.has('x-autorespond') ||
    ['bulk', 'auto_reply', 'junk'].includes(precedence)
  )
    return 'auto_reply';
  if (mail.folderRole === 'SENT' || from === (config.PARSING_EMAIL_LOGIN ?? '').toLowerCase()) return 'self_sent';
  const deny = (config.MAIL_SENDER_DENY ?? '').split(',').filter(Boolean);
  if (deny.some((d) => (d.startsWith('@') ? from.endsWith(d.toLowerCase()) : from === d.toLowerCase())))
    return 'denied';
  return 'normal';
}

function referencesOf(parsed: ParsedMail): string[] {
  const refs = parsed.references;
  return refs === undefined ? [] : Array.isArray(refs) ? refs : [refs];
}

describe('fixture generator: mail corpus and expected outcome', () => {
  let fx: Fixtures;
  const parsed = new Map<string, ParsedMail>();
  const raw = new Map<string, Buffer>();
  const byId = new Map<string, ExpectedMail>();
  const incidents = new Map<string, ExpectedIncident>();

  beforeAll(async () => {
    fx = generateFixtures({ seed: 42, mails: 1000, poles: 3000 });
    const files = new Map(fx.corpus.files.map((f) => [f.path, f.bytes]));
    for (const mail of fx.expected.mails) {
      byId.set(mail.id, mail);
      const bytes = files.get(mail.file);
      if (!bytes) throw new Error(`no file ${mail.file}`);
      raw.set(mail.id, bytes);
      parsed.set(mail.id, await simpleParser(bytes));
    }
    for (const inc of fx.expected.incidents) incidents.set(inc.ref, inc);
  });

  test('the default corpus has the requested number of mails and every kind at least once', () => {
    expect(fx.expected.mails).toHaveLength(1000);
    expect(fx.corpus.files).toHaveLength(1000);
    for (const kind of MAIL_KINDS) expect([kind, fx.expected.counts.byKind[kind] > 0]).toEqual([kind, true]);
    const counted = Object.fromEntries(
      MAIL_KINDS.map((k) => [k, fx.expected.mails.filter((m) => m.kind === k).length]),
    );
    expect(counted).toEqual(fx.expected.counts.byKind);
  });

  test('a custom mix yields exactly the requested count of every kind', () => {
    const mix = Object.fromEntries(MAIL_KINDS.map((k, i) => [k, 2 + (i % 3)])) as Record<MailKind, number>;
    // Each INBOX copy of a dispatcher reply needs its own Sent original.
    mix.duplicate_cross_folder = Math.min(mix.duplicate_cross_folder, mix.dispatcher_reply);
    const total = Object.values(mix).reduce((a, b) => a + b, 0);
    const custom = generateFixtures({ seed: 5, mails: total, poles: 500, mix });
    expect(custom.expected.counts.byKind).toEqual(mix);
    expect(
      Object.fromEntries(MAIL_KINDS.map((k) => [k, custom.expected.mails.filter((m) => m.kind === k).length])),
    ).toEqual(mix);
  });

  test('every .eml parses with mailparser; Message-ID, subject, From and threading headers match expected.json', () => {
    const mismatches: string[] = [];
    for (const mail of fx.expected.mails) {
      if (mail.unparseable) continue;
      const p = parsed.get(mail.id);
      if (!p) throw new Error(mail.id);
      if ((p.messageId ?? null) !== mail.messageId) mismatches.push(`${mail.id} message-id ${p.messageId}`);
      // MAIL-11: all encoded-words decoded, each in its own charset (AC-6).
      if (!mail.subjectRaw8bit && p.subject !== mail.subject) mismatches.push(`${mail.id} subject ${p.subject}`);
      if ((p.from?.value[0]?.address ?? '').toLowerCase() !== (mail.from ?? '').toLowerCase())
        mismatches.push(`${mail.id} from`);
      if ((p.inReplyTo ?? null) !== mail.inReplyTo) mismatches.push(`${mail.id} in-reply-to ${p.inReplyTo}`);
      if (JSON.stringify(referencesOf(p)) !== JSON.stringify(mail.references)) mismatches.push(`${mail.id} references`);
    }
    expect(mismatches).toEqual([]);
  });

  test('MAIL-12: plain-text bodies in utf-8, windows-1251 and koi8-r (8bit, QP, base64) decode to the expected text', () => {
    // HTML-only, forwarded and report bodies need the product's own rendering, so only plain parts compare 1:1.
    const rendered = new Set<MailKind>(['html_only', 'forward_rfc822', 'bounce_own_notice', 'bounce_unlinked']);
    const kindOf = (m: ExpectedMail): MailKind => (m.duplicateOf ? (byId.get(m.duplicateOf)?.kind ?? m.kind) : m.kind);
    const plain = fx.expected.mails.filter((m) => !m.unparseable && !rendered.has(kindOf(m)));
    const wrong = plain.filter(
      (m) => ((parsed.get(m.id) as ParsedMail).text ?? '').replace(/\r\n/g, '\n').trim() !== (m.text ?? '').trim(),
    );
    expect(wrong.map((m) => `${m.id} ${m.kind}`)).toEqual([]);
    for (const kind of ['cp1251_report', 'koi8r_report', 'raw_8bit_headers'] as const)
      expect(plain.filter((m) => m.kind === kind).every((m) => /[А-Яа-я]/.test(m.text ?? ''))).toBe(true);
    for (const m of fx.expected.mails.filter((x) => x.kind === 'html_only')) {
      const p = parsed.get(m.id) as ParsedMail;
      expect(typeof p.html === 'string' && p.html.includes('<p>')).toBe(true);
      expect((raw.get(m.id) as Buffer).includes('text/plain')).toBe(false);
    }
  });

  test('MAIL-12: web-form bodies carry JSON whose feedback and observer keys give requester and observers', () => {
    const forms = fx.expected.mails.filter((m) => m.kind === 'web_form');
    expect(forms.some((m) => m.requesterAddress === null)).toBe(true);
    expect(forms.some((m) => m.observers.length > 0)).toBe(true);
    for (const m of forms) {
      const text = (parsed.get(m.id) as ParsedMail).text ?? '';
      const form = JSON.parse(text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1)) as Record<string, unknown>;
      const feedback = form['E-mail для обратной связи'];
      expect(m.requesterAddress).toBe(
        typeof feedback === 'string' && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(feedback) ? feedback : null,
      );
      const observers = Object.entries(form)
        .filter(([k, v]) => k.startsWith('E-mail наблюдателя по заявке') && typeof v === 'string' && v.includes('@'))
        .map(([, v]) => v);
      expect(m.observers).toEqual(observers);
      expect(m.from).toBe('no-reply@forms.towerco.example.ru');
    }
  });

  test('ATT-1: RFC 2231 and RFC 2047 attachment names decode to the expected Cyrillic file names', () => {
    const withFiles = fx.expected.mails.filter((m) => m.attachments.length > 0 && m.duplicateOf === null);
    expect(withFiles.length).toBe(fx.expected.counts.byKind.attachment_rfc2231);
    for (const mail of withFiles) {
      const p = parsed.get(mail.id) as ParsedMail;
      expect(p.attachments.map((a) => [a.filename, a.contentType, a.size])).toEqual(
        mail.attachments.map((a) => [a.filename, a.contentType, a.size]),
      );
    }
    expect(withFiles.flatMap((m) => m.attachments.map((a) => a.filename)).some((n) => /[А-Яа-яё]/.test(n))).toBe(true);
  });

  test('MAIL-17: the deliberately unprocessable mails are empty or have no header at all', () => {
    const broken = fx.expected.mails.filter((m) => m.unparseable);
    expect(broken.map((m) => m.kind).sort()).toEqual(
      fx.expected.mails
        .filter((m) => m.kind === 'empty_message' || m.kind === 'headerless_message')
        .map((m) => m.kind)
        .sort(),
    );
    for (const mail of broken) {
      const bytes = raw.get(mail.id) ?? Buffer.from('x');
      expect(bytes.length === 0 || bytes.subarray(0, 2).toString('latin1') === '\r\n').toBe(true);
      expect([mail.classification, mail.incident, mail.messageId]).toEqual([null, null, null]);
    }
  });

  test('NOISE-1: each mail carries exactly the markers of its expected class', () => {
    const wrong: string[] = [];
    for (const mail of fx.expected.mails) {
      if (mail.unparseable) continue;
      const got = classify(mail, parsed.get(mail.id) as ParsedMail, raw.get(mail.id) as Buffer, fx.expected.config);
      if (got !== mail.classification) wrong.push(`${mail.id} ${mail.kind}: ${got} ≠ ${String(mail.classification)}`);
    }
    expect(wrong).toEqual([]);
    expect(Object.keys(fx.expected.counts.byClass).sort()).toEqual(
      ['auto_reply', 'bounce', 'denied', 'foreign_tracker', 'normal', 'own', 'self_sent', 'tracker'].sort(),
    );
  });

  test('MAIL-8: duplicates repeat their original Message-ID (or, without one, its From, Date, Subject and body)', () => {
    const duplicates = fx.expected.mails.filter((m) => m.duplicateOf !== null);
    expect(duplicates.length).toBe(fx.expected.counts.duplicates);
    expect(duplicates.some((d) => d.folder !== byId.get(d.duplicateOf ?? '')?.folder)).toBe(true);
    for (const dup of duplicates) {
      const original = byId.get(dup.duplicateOf ?? '') as ExpectedMail;
      expect(original.deliveryIndex).toBeLessThan(dup.deliveryIndex);
      const a = parsed.get(dup.id) as ParsedMail;
      const b = parsed.get(original.id) as ParsedMail;
      const dateLine = (m: ParsedMail): string | undefined => m.headerLines.find((h) => h.key === 'date')?.line;
      expect([a.messageId, a.subject, a.text, dateLine(a)]).toEqual([b.messageId, b.subject, b.text, dateLine(b)]);
      expect([dup.incident, dup.classification]).toEqual([original.incident, original.classification]);
    }
  });

  test('THREAD: every link is justified by the mail headers (thread, key, embedded original) or opens the incident', () => {
    const problems: string[] = [];
    const idsOfIncident = new Map<string, Set<string>>();
    // THREAD-2 is symmetric: an original is joined by a reply that references it.
    const referencedBy = new Map<string, Set<string>>();
    for (const m of fx.expected.mails)
      if (m.incident && m.duplicateOf === null) {
        const set = idsOfIncident.get(m.incident) ?? new Set<string>();
        if (m.messageId) set.add(m.messageId);
        idsOfIncident.set(m.incident, set);
        for (const id of [m.inReplyTo, ...m.references])
          if (id) referencedBy.set(id, new Set([...(referencedBy.get(id) ?? []), m.incident]));
      }
    for (const m of fx.expected.mails) {
      if (m.duplicateOf !== null || !m.incident) continue;
      const inc = incidents.get(m.incident) as ExpectedIncident;
      const ids = idsOfIncident.get(m.incident) ?? new Set<string>();
      if (
        m.link === 'opens' &&
        !(inc.openingMail === m.id && m.classification === 'normal' && m.folderRole === 'INBOX')
      )
        problems.push(`${m.id} opens`);
      const answered = [m.inReplyTo, ...m.references].some((id) => id !== null && ids.has(id));
      const answeredBy = m.messageId !== null && (referencedBy.get(m.messageId)?.has(m.incident) ?? false);
      if (m.link === 'thread' && !answered && !answeredBy) problems.push(`${m.id} thread`);
      if (m.link === 'key' && !new RegExp(`\\b${inc.key ?? '-'}\\b`).test(m.subject ?? ''))
        problems.push(`${m.id} key`);
      if (
        m.link === 'embedded-original' &&
        ![...ids].some((id) => id !== m.messageId && (raw.get(m.id) as Buffer).includes(id))
      )
        problems.push(`${m.id} bounce`);
    }
    expect(problems).toEqual([]);
    expect(new Set(fx.expected.mails.map((m) => m.link))).toEqual(
      new Set(['opens', 'thread', 'key', 'embedded-original', null]),
    );
  });

  test('THREAD-8: unlinked INBOX normal mail answers a conversation started from the collection mailbox', () => {
    const byMessageId = new Map(fx.expected.mails.filter((m) => m.messageId).map((m) => [m.messageId, m]));
    const unlinkedNormal = fx.expected.mails.filter(
      (m) => m.classification === 'normal' && m.incident === null && m.duplicateOf === null,
    );
    expect(unlinkedNormal.length).toBe(fx.expected.counts.byKind.reply_to_outbound);
    for (const m of unlinkedNormal) {
      const parent = byMessageId.get(m.inReplyTo);
      expect([m.kind, parent?.folderRole, parent?.classification]).toEqual(['reply_to_outbound', 'SENT', 'self_sent']);
      expect(parent?.deliveryIndex ?? Infinity).toBeLessThan(m.deliveryIndex);
    }
  });

  test('incidents: mails lists, INC-5 primary e-mail, INC-4 registration time and NOTIFY-6 requester', () => {
    for (const inc of fx.expected.incidents) {
      const linked = fx.expected.mails.filter(
        (m) => m.incident === inc.ref && m.duplicateOf === null && !m.unparseable,
      );
      expect(inc.mails).toEqual(linked.map((m) => m.id));
      const primary = linked
        .filter((m) => m.classification === 'normal' && m.folderRole === 'INBOX')
        .sort(
          (a, b) =>
            Date.parse(a.effectiveDate ?? '') - Date.parse(b.effectiveDate ?? '') || a.deliveryIndex - b.deliveryIndex,
        )[0];
      expect(inc.primaryMail).toBe(primary?.id ?? null);
      expect(inc.primaryMessageId).toBe(primary?.messageId ?? null);
      expect(inc.requester).toBe(primary ? (primary.requesterAddress ?? primary.from) : null);
      if (inc.origin === 'mail') {
        expect(inc.registrationTime).toBe(primary?.effectiveDate);
        expect(inc.key).toBeNull();
      } else {
        expect(inc.key).toMatch(/^AVRSERVICE-\d+$/);
        expect(inc.openingMail).toBeNull();
      }
    }
    // MAIL-12: web forms make the form's feedback address the requester.
    const formIncidents = fx.expected.incidents.filter((i) => byId.get(i.primaryMail ?? '')?.kind === 'web_form');
    expect(formIncidents.some((i) => i.requester !== 'no-reply@forms.towerco.example.ru')).toBe(true);
  });

  test('AC-5: an early reply opens the incident, its delayed original becomes the primary e-mail', () => {
    const early = fx.expected.mails.filter((m) => m.kind === 'early_reply');
    expect(early.length).toBe(fx.expected.counts.byKind.early_reply);
    for (const reply of early) {
      const inc = incidents.get(reply.incident ?? '') as ExpectedIncident;
      const original = fx.expected.mails.find((m) => m.messageId === reply.inReplyTo) as ExpectedMail;
      expect(reply.references).toEqual([original.messageId]);
      expect(reply.deliveryIndex).toBeLessThan(original.deliveryIndex);
      expect(Date.parse(original.effectiveDate ?? '')).toBeLessThan(Date.parse(reply.effectiveDate ?? ''));
      expect([inc.openingMail, inc.primaryMail, inc.registrationTime]).toEqual([
        reply.id,
        original.id,
        original.effectiveDate,
      ]);
    }
  });

  test('MAIL-11: unusable Date headers make INTERNALDATE the effective date', () => {
    for (const m of fx.expected.mails.filter((x) => x.kind === 'broken_date' || x.kind === 'skewed_date'))
      expect(m.effectiveDate).toBe(m.internalDate);
    for (const m of fx.expected.mails.filter((x) => x.kind === 'obsolete_date')) {
      // Zone names, no seconds or weekday, trailing comments.
      expect(m.dateHeader).toMatch(/( GMT| UT| MSK|\(Moscow Standard Time\))$/);
      expect(Math.abs(Date.parse(m.internalDate) - Date.parse(m.effectiveDate ?? ''))).toBeLessThan(24 * 3_600_000);
      expect(m.effectiveDate).not.toBe(m.internalDate);
    }
    expect(fx.expected.mails.filter((m) => m.kind === 'no_message_id').every((m) => m.messageId === null)).toBe(true);
  });

  test('AC-3: the near-miss key matches no seed issue and no incident that can exist', () => {
    const seedNumbers = fx.expected.seedIssues.map((s) => Number(s.key.split('-')[1]));
    for (const m of fx.expected.mails.filter((x) => x.kind === 'near_miss_key')) {
      const n = Number(/AVRSERVICE-(\d+)/.exec(m.subject ?? '')?.[1]);
      expect(n).toBeGreaterThan(fx.expected.incidents.length + Math.max(...seedNumbers));
      expect(String(n).startsWith(String(seedNumbers[0]))).toBe(true);
      expect(incidents.get(m.incident ?? '')?.openingMail).toBe(m.id);
    }
  });

  test('EXTR-6: an incident gets the site its chronologically first mail names; BS and pole exist in the directory', () => {
    const poles = fx.directory.snapshot.poles;
    const poleById = new Map(poles.map((p) => [p.id, p]));
    for (const inc of fx.expected.incidents) {
      if (inc.origin === 'tracker') {
        const seed = fx.expected.seedIssues.find((s) => s.key === inc.key);
        expect(inc.pole?.code).toBe(seed?.pole);
        continue;
      }
      const first = inc.mails
        .map((id) => byId.get(id) as ExpectedMail)
        .sort(
          (a, b) =>
            Date.parse(a.effectiveDate ?? '') - Date.parse(b.effectiveDate ?? '') || a.deliveryIndex - b.deliveryIndex,
        )
        .find((m) => m.extraction !== null);
      expect(inc.pole).toEqual(first?.extraction?.pole ?? null);
      expect(inc.baseStation).toEqual(first?.extraction?.baseStation ?? null);
      if (inc.pole) {
        const records = poles.filter((p) => p.code === inc.pole?.code);
        expect(inc.pole.siteId).toBe(Math.min(...records.map((p) => p.siteId)));
      }
      if (inc.baseStation) {
        const onPole = fx.directory.snapshot.baseStations.filter(
          (b) => b.name === inc.baseStation?.name && poleById.get(b.poleId)?.code === inc.baseStation?.poleCode,
        );
        expect(onPole).toHaveLength(1);
      }
    }
    const mailIncidents = fx.expected.incidents.filter((i) => i.origin === 'mail');
    expect(mailIncidents.filter((i) => i.baseStation !== null).length).toBeGreaterThan(100);
    expect(mailIncidents.filter((i) => i.pole !== null && i.baseStation === null).length).toBeGreaterThan(20);
    expect(mailIncidents.filter((i) => i.pole === null).length).toBeGreaterThan(20);
  });

  test('delivery order: UIDs ascend per folder and files are named by delivery index', () => {
    const last: Record<string, number> = { INBOX: 0, Sent: 0 };
    fx.expected.mails.forEach((m, i) => {
      expect(m.deliveryIndex).toBe(i + 1);
      expect(m.uid).toBe((last[m.folder] ?? 0) + 1);
      last[m.folder] = m.uid;
      expect(m.file).toBe(`mail/${m.folder}/${String(m.deliveryIndex).padStart(4, '0')}.eml`);
      if (i > 0)
        expect(Date.parse(m.internalDate)).toBeGreaterThanOrEqual(
          Date.parse(fx.expected.mails[i - 1]?.internalDate ?? ''),
        );
    });
    expect(fx.expected.counts.byFolder).toEqual(last);
  });

  test('impossible mixes are refused with every problem named', () => {
    let error: unknown = null;
    try {
      generateFixtures({
        seed: 1,
        mails: 10,
        poles: 200,
        mix: { bounce_own_notice: 1, key_thread_reply: 1, bogus: 1 },
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CorpusOptionsError);
    expect(String(error)).toContain('mix: unknown kind "bogus"');
    expect(String(error)).toContain('bounce_own_notice (5) needs an own_notice');
    expect(String(error)).toContain('key_thread_reply (5) needs a key_thread_start');
  });

  test('scale: 5 000 mails (time printed, not asserted)', () => {
    const started = performance.now();
    const big = generateFixtures({ seed: 9, mails: 5000, poles: 5000 });
    console.log(
      `corpus of 5000 mails (+ 5000-pole directory) generated in ${Math.round(performance.now() - started)} ms`,
    );
    expect(big.expected.mails).toHaveLength(5000);
    expect(big.corpus.files).toHaveLength(5000);
  });
});
