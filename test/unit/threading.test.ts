import { describe, test, expect } from '@jest/globals';
import fc from 'fast-check';
import { findIncidentKeys, resolveThread, threadEdges, threadOf } from '../../src/domain/threading.js';
import type {
  EmailClassification,
  FolderRole,
  ThreadDecision,
  ThreadEmail,
  ThreadResolutionInput,
} from '../../src/domain/threading.js';
import { senderMatches, senderMayOpenIncident } from '../../src/domain/sender-patterns.js';

const T0 = Date.parse('2025-03-05T09:00:00Z');

function mail(id: number, fields: Partial<ThreadEmail> = {}): ThreadEmail {
  return {
    id,
    messageId: `<m${id}@example.ru>`,
    inReplyTo: null,
    references: [],
    incidentId: null,
    effectiveDate: new Date(T0 + id * 60_000),
    uid: id,
    classification: 'normal',
    folderRole: 'INBOX',
    ...fields,
  };
}

const id = (n: number): string => `<m${n}@example.ru>`;

function resolve(
  email: ThreadEmail,
  thread: ThreadEmail[],
  options: Partial<Omit<ThreadResolutionInput, 'email' | 'thread'>> = {},
): ThreadDecision {
  return resolveThread({
    email,
    thread,
    subject: null,
    queue: 'AVRSERVICE',
    incidentIdByKey: new Map(),
    fromAddress: 'noc@operator.ru',
    senderAllowList: [],
    ...options,
  });
}

describe('THREAD-2 thread closure', () => {
  test('THREAD-2: a reply carrying only In-Reply-To finds its parent, and the parent finds the reply', () => {
    const original = mail(1);
    const reply = mail(2, { inReplyTo: id(1) });
    const other = mail(3);
    expect(threadOf(2, [original, reply, other]).map((e) => e.id)).toEqual([1, 2]);
    expect(threadOf(1, [original, reply, other]).map((e) => e.id)).toEqual([1, 2]);
  });

  test('THREAD-2: two replies referencing the same unseen original belong to one thread', () => {
    const a = mail(2, { references: ['<unseen@x>'] });
    const b = mail(3, { inReplyTo: '<unseen@x>' });
    expect(threadOf(3, [a, b]).map((e) => e.id)).toEqual([2, 3]);
  });

  test('THREAD-2: the closure is transitive in both directions', () => {
    const emails = [
      mail(1),
      mail(2, { inReplyTo: id(1) }),
      mail(3, { references: [id(2)] }),
      mail(4, { references: ['<x@y>'] }),
      mail(5, { inReplyTo: '<x@y>', references: [id(3)] }),
      mail(6, { inReplyTo: '<elsewhere@y>' }),
    ];
    expect(threadOf(1, emails).map((e) => e.id)).toEqual([1, 2, 3, 4, 5]);
    expect(threadOf(6, emails).map((e) => e.id)).toEqual([6]);
    expect(threadOf(99, emails)).toEqual([]);
  });

  test('THREAD-2: edges are the own Message-ID, In-Reply-To and every References entry', () => {
    expect(threadEdges({ messageId: id(3), inReplyTo: id(2), references: [id(1), id(2)] })).toEqual([
      id(3),
      id(1),
      id(2),
    ]);
  });
});

describe('THREAD-5 incident keys', () => {
  test('AC-3/THREAD-5: a key inside a changed subject', () => {
    expect(findIncidentKeys('Уточнение по AVRSERVICE-7 — доступ согласован', 'AVRSERVICE')).toEqual(['AVRSERVICE-7']);
  });

  test('THREAD-5: case-insensitive, upper-cased, in order of first occurrence, no duplicates', () => {
    expect(findIncidentKeys('avrservice-12 и AVRSERVICE-7, Avrservice-12', 'AVRSERVICE')).toEqual([
      'AVRSERVICE-12',
      'AVRSERVICE-7',
    ]);
  });

  test('AC-3/THREAD-5: word boundaries — AVRSERVICE-70 is not AVRSERVICE-7', () => {
    expect(findIncidentKeys('AVRSERVICE-70 выезд', 'AVRSERVICE')).toEqual(['AVRSERVICE-70']);
    expect(findIncidentKeys('XAVRSERVICE-7 AVRSERVICE-7a AVRSERVICE- AVRSERVICE_7', 'AVRSERVICE')).toEqual([]);
  });

  test('THREAD-5: the queue is matched literally (regex metacharacters escaped)', () => {
    expect(findIncidentKeys('AXB-1 A.B-2', 'A.B')).toEqual(['A.B-2']);
    expect(findIncidentKeys(null, 'AVRSERVICE')).toEqual([]);
  });
});

describe('THREAD-3 resolution by thread', () => {
  test('THREAD-3/THREAD-6: one incident in the thread → link, unlinked thread e-mails adopted', () => {
    const thread = [
      mail(1, { incidentId: 10 }),
      mail(2, { inReplyTo: id(9) }),
      mail(3, { references: [id(1), id(9)] }),
    ];
    const reply = mail(4, { inReplyTo: id(3) });
    expect(resolve(reply, thread)).toEqual({ link: 10, adopt: [2, 3], conflicts: [], reason: 'thread' });
  });

  test('AC-2: a reply with In-Reply-To only joins the incident of its original', () => {
    expect(resolve(mail(2, { inReplyTo: id(1) }), [mail(1, { incidentId: 7 })])).toMatchObject({
      link: 7,
      reason: 'thread',
    });
  });

  test('THREAD-3: several incidents → the In-Reply-To parent wins; conflict recorded', () => {
    const thread = [
      mail(1, { incidentId: 20 }),
      mail(2, { incidentId: 10, references: [id(1)] }),
      mail(3, { incidentId: 30, references: [id(1), id(2)] }),
    ];
    const m = mail(4, { inReplyTo: id(2), references: [id(1), id(3)] });
    expect(resolve(m, thread)).toEqual({
      link: 10,
      adopt: [],
      conflicts: [{ emailId: 4, candidateIncidentIds: [10, 20, 30], chosenIncidentId: 10, rule: 'THREAD-3' }],
      reason: 'thread-conflict',
    });
  });

  test('THREAD-3: parent unknown or unlinked → the last References entry that is a linked e-mail', () => {
    const thread = [
      mail(1, { incidentId: 20 }),
      mail(2, { incidentId: 10, references: [id(1)] }),
      mail(3, { references: [id(1), id(2)] }),
    ];
    const m = mail(4, { inReplyTo: id(3), references: [id(1), id(2), id(3), '<gone@x>'] });
    expect(resolve(m, thread)).toMatchObject({ link: 10, adopt: [3], reason: 'thread-conflict' });
  });

  test('THREAD-3: no linked ancestor → the linked e-mail with the latest effective date', () => {
    const thread = [
      mail(1, { references: ['<root@x>'], incidentId: 20, effectiveDate: new Date(T0 + 5_000) }),
      mail(2, { references: ['<root@x>'], incidentId: 10, effectiveDate: new Date(T0 + 9_000) }),
      mail(3, { references: ['<root@x>'], incidentId: 30, effectiveDate: new Date(T0 + 1_000) }),
    ];
    const m = mail(4, { inReplyTo: '<root@x>' });
    expect(resolve(m, thread)).toMatchObject({
      link: 10,
      conflicts: [{ emailId: 4, candidateIncidentIds: [10, 20, 30], chosenIncidentId: 10, rule: 'THREAD-3' }],
    });
  });

  test('THREAD-3 before THREAD-4: a thread incident wins over a key in the subject, no conflict', () => {
    const decision = resolve(mail(2, { inReplyTo: id(1) }), [mail(1, { incidentId: 1 })], {
      subject: 'Re: AVRSERVICE-2',
      incidentIdByKey: new Map([['AVRSERVICE-2', 2]]),
    });
    expect(decision).toEqual({ link: 1, adopt: [], conflicts: [], reason: 'thread' });
  });

  test('THREAD-3: e-mails outside the thread are ignored even when handed over', () => {
    expect(resolve(mail(2), [mail(1, { incidentId: 5 })])).toMatchObject({ link: 'new', reason: 'new-incident' });
  });
});

describe('THREAD-4 resolution by incident key', () => {
  test('AC-3/THREAD-11: an independent message with the key joins that incident', () => {
    const decision = resolve(mail(5), [], {
      subject: 'Уточнение по AVRSERVICE-7 — доступ согласован',
      incidentIdByKey: new Map([['AVRSERVICE-7', 70]]),
    });
    expect(decision).toEqual({ link: 70, adopt: [], conflicts: [], reason: 'incident-key' });
  });

  test('AC-3: AVRSERVICE-70 does not match incident AVRSERVICE-7', () => {
    const decision = resolve(mail(5), [], {
      subject: 'AVRSERVICE-70 выезд',
      incidentIdByKey: new Map([['AVRSERVICE-7', 70]]),
    });
    expect(decision.reason).toBe('new-incident');
  });

  test('THREAD-4: the leftmost matching key wins, unknown keys ignored, other matches → conflict', () => {
    const decision = resolve(mail(5), [], {
      subject: 'AVRSERVICE-404 AVRSERVICE-9 / AVRSERVICE-3 / AVRSERVICE-9',
      incidentIdByKey: new Map([
        ['AVRSERVICE-9', 90],
        ['AVRSERVICE-3', 30],
      ]),
    });
    expect(decision).toEqual({
      link: 90,
      adopt: [],
      conflicts: [{ emailId: 5, candidateIncidentIds: [30, 90], chosenIncidentId: 90, rule: 'THREAD-4' }],
      reason: 'incident-key-conflict',
    });
  });

  test('THREAD-4/THREAD-6: the key links an unlinked thread, which is adopted', () => {
    const decision = resolve(mail(3, { inReplyTo: id(1) }), [mail(1, { classification: 'auto_reply' })], {
      subject: 'Re: AVRSERVICE-7',
      incidentIdByKey: new Map([['AVRSERVICE-7', 70]]),
    });
    expect(decision).toEqual({ link: 70, adopt: [1], conflicts: [], reason: 'incident-key' });
  });

  test('THREAD-4: keys name incidents for any class (a Tracker copy is linked, NOISE-2)', () => {
    const decision = resolve(mail(3, { classification: 'tracker' }), [], {
      subject: 'AVRSERVICE-7: ответ',
      incidentIdByKey: new Map([['AVRSERVICE-7', 70]]),
    });
    expect(decision.link).toBe(70);
  });
});

describe('THREAD-8 opening a new incident', () => {
  test('THREAD-8/THREAD-9: a normal INBOX message of a new conversation opens an incident and adopts its thread', () => {
    const earlierAuto = mail(2, { classification: 'auto_reply', references: [id(1)] });
    expect(resolve(mail(3, { inReplyTo: id(1) }), [earlierAuto])).toEqual({
      link: 'new',
      adopt: [2],
      conflicts: [],
      reason: 'new-incident',
    });
  });

  test('THREAD-10: a reply whose References point only to unknown messages can open an incident', () => {
    expect(resolve(mail(2, { inReplyTo: '<never-seen@x>', references: ['<never-seen@x>'] }), []).link).toBe('new');
  });

  test('THREAD-8: only INBOX messages open incidents', () => {
    expect(resolve(mail(2, { folderRole: 'SENT' }), [])).toEqual({
      link: null,
      adopt: [],
      conflicts: [],
      reason: 'not-inbox',
    });
  });

  test('AC-18/THREAD-8: only class `normal` opens incidents', () => {
    for (const classification of [
      'own',
      'tracker',
      'foreign_tracker',
      'bounce',
      'auto_reply',
      'self_sent',
      'denied',
    ] as const) {
      expect(resolve(mail(2, { classification }), []).reason).toBe('not-normal');
    }
  });

  test('THREAD-8/NOISE-4: a non-empty allow list restricts who opens incidents', () => {
    const m = mail(2);
    expect(resolve(m, [], { senderAllowList: ['@operator.ru'] }).link).toBe('new');
    expect(resolve(m, [], { senderAllowList: ['*@other.ru', 'NOC@Operator.ru'] }).link).toBe('new');
    expect(resolve(m, [], { senderAllowList: ['*@other.ru'] }).reason).toBe('sender-not-allowed');
  });

  test('NOISE-4: replies in known threads from senders outside the allow list are linked normally', () => {
    const decision = resolve(mail(2, { inReplyTo: id(1) }), [mail(1, { incidentId: 4 })], {
      senderAllowList: ['@operator.ru'],
      fromAddress: 'stranger@else.ru',
    });
    expect(decision.link).toBe(4);
  });

  test('THREAD-8: a conversation started from the collection mailbox never opens an incident', () => {
    const sent = mail(1, { folderRole: 'SENT', classification: 'self_sent' });
    expect(resolve(mail(2, { inReplyTo: id(1) }), [sent]).reason).toBe('thread-started-outside-inbox');
  });

  test('THREAD-8: the earliest e-mail is chosen by effective date, then UID', () => {
    const at = new Date(T0);
    const sent = mail(1, { folderRole: 'SENT', classification: 'self_sent', effectiveDate: at, uid: 50 });
    const inbox = mail(2, { references: [id(1)], effectiveDate: at, uid: 40 });
    expect(resolve(inbox, [sent]).link).toBe('new');
    expect(resolve({ ...inbox, uid: 60 }, [sent]).reason).toBe('thread-started-outside-inbox');
  });

  test('THREAD-6: a linked message stays where it is (re-run after MAIL-8)', () => {
    const linked = mail(2, { incidentId: 5, inReplyTo: id(1) });
    expect(resolve(linked, [mail(1, { incidentId: 6 }), mail(3, { references: [id(2)] })])).toEqual({
      link: 5,
      adopt: [3],
      conflicts: [],
      reason: 'already-linked',
    });
  });

  test('NOISE-2: an `own` message is linked to the incident its outbox row names', () => {
    expect(resolve(mail(2, { classification: 'own' }), [], { outboxIncidentId: 12 })).toMatchObject({
      link: 12,
      reason: 'outbox',
    });
  });
});

describe('NOISE-4 sender patterns', () => {
  test('NOISE-4: full addresses and @domain / *@domain, case-insensitive', () => {
    expect(senderMatches('Noc@Operator.RU', ['noc@operator.ru'])).toBe(true);
    expect(senderMatches('noc@operator.ru', ['@OPERATOR.ru'])).toBe(true);
    expect(senderMatches('noc@operator.ru', ['*@operator.ru'])).toBe(true);
    expect(senderMatches('noc@sub.operator.ru', ['@operator.ru'])).toBe(false);
    expect(senderMatches('other@operator.ru', ['noc@operator.ru'])).toBe(false);
    expect(senderMatches('not-an-address', ['@operator.ru'])).toBe(false);
  });

  test('NOISE-4: an empty allow list permits everyone', () => {
    expect(senderMayOpenIncident('anyone@anywhere.ru', [])).toBe(true);
    expect(senderMayOpenIncident('anyone@anywhere.ru', ['@operator.ru'])).toBe(false);
  });
});

describe('acceptance scenarios processed in sequence', () => {
  test('AC-4: two independent threads with one key end in one incident', () => {
    const a1 = mail(1, { incidentId: 7 });
    const a2 = mail(2, { inReplyTo: id(1), incidentId: 7 });
    const b1 = mail(3);
    const keys = new Map([['AVRSERVICE-7', 7]]);
    const first = resolve(b1, [a1, a2], { subject: 'AVRSERVICE-7 выезд бригады', incidentIdByKey: keys });
    expect(first).toMatchObject({ link: 7, reason: 'incident-key' });
    const b2 = mail(4, { inReplyTo: id(3) });
    const second = resolve(b2, [{ ...b1, incidentId: 7 }], { subject: 'Re: выезд бригады', incidentIdByKey: keys });
    expect(second).toMatchObject({ link: 7, reason: 'thread' });
  });

  test('AC-5: a reply processed before its original → one incident, the original is linked to it', () => {
    const original = mail(1);
    const reply = mail(2, { references: [id(1)], uid: 1 });
    expect(resolve(reply, []).link).toBe('new');
    expect(resolve({ ...original, uid: 2 }, [{ ...reply, incidentId: 33 }])).toMatchObject({
      link: 33,
      reason: 'thread',
    });
  });
});

// ---- Property tests: arrival order does not change the final grouping; linked e-mails never move.

const CLASSES: EmailClassification[] = [
  'own',
  'tracker',
  'foreign_tracker',
  'bounce',
  'auto_reply',
  'self_sent',
  'denied',
  'normal',
];
const ROLES: FolderRole[] = ['INBOX', 'SENT'];
const ALLOWED = 'noc@operator.ru';
const NEW_INCIDENTS_FROM = 1_000_000;

/**
 * opening: starts with a normal INBOX e-mail from an allowed sender; silent: holds no normal INBOX
 * e-mail; seeded: its root (and maybe more) already linked; keyed: every subject names an incident;
 * outbound: started by a Sent copy already stored before the others arrive.
 */
type ConversationKind = 'opening' | 'silent' | 'seeded' | 'keyed' | 'outbound';

interface ScenarioEmail extends ThreadEmail {
  subject: string | null;
  from: string;
  conversation: number;
}

interface Scenario {
  kinds: ConversationKind[];
  seeds: ScenarioEmail[];
  arrivals: ScenarioEmail[];
  keys: Map<string, number>;
}

const replyArb = fc.record({
  parent: fc.nat(),
  keep: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
  withInReplyTo: fc.boolean(),
  role: fc.constantFrom(...ROLES),
  classification: fc.constantFrom(...CLASSES),
  allowedSender: fc.boolean(),
  minutesAfterRoot: fc.integer({ min: 1, max: 600 }),
  seeded: fc.boolean(),
});

const conversationArb = fc.record({
  kind: fc.constantFrom<ConversationKind>('opening', 'silent', 'seeded', 'keyed', 'outbound'),
  replies: fc.array(replyArb, { minLength: 0, maxLength: 5 }),
  rootRole: fc.constantFrom(...ROLES),
  rootClass: fc.constantFrom(...CLASSES),
  unknownKeyFirst: fc.boolean(),
});

type Conversation = typeof conversationArb extends fc.Arbitrary<infer T> ? T : never;

function buildScenario(conversations: Conversation[]): Scenario {
  const seeds: ScenarioEmail[] = [];
  const arrivals: ScenarioEmail[] = [];
  const keys = new Map<string, number>();
  let nextId = 1;
  let nextUid = 1;
  conversations.forEach((conversation, c) => {
    const kind = conversation.kind;
    const seedIncident = 1000 + c;
    const keyIncident = 2000 + c;
    if (kind === 'keyed') keys.set(`AVRSERVICE-${keyIncident}`, keyIncident);
    const subject =
      kind === 'keyed'
        ? `${conversation.unknownKeyFirst ? 'AVRSERVICE-999999 ' : ''}Re: AVRSERVICE-${keyIncident}`
        : null;
    const base = T0 + c * 86_400_000;
    const messageId = (i: number): string => `<c${c}.${i}@test>`;
    // Silent conversations never hold a normal INBOX e-mail; others start with one from an allowed sender.
    const silentize = (role: FolderRole, cls: EmailClassification): [FolderRole, EmailClassification] =>
      kind === 'silent' && role === 'INBOX' && cls === 'normal' ? ['INBOX', 'auto_reply'] : [role, cls];
    const [rootRole, rootClass]: [FolderRole, EmailClassification] =
      kind === 'silent'
        ? silentize(conversation.rootRole, conversation.rootClass)
        : kind === 'outbound'
          ? ['SENT', 'self_sent']
          : ['INBOX', 'normal'];
    const chains: string[][] = [[]];
    const root: ScenarioEmail = {
      id: nextId++,
      messageId: messageId(0),
      inReplyTo: null,
      references: [],
      incidentId: kind === 'seeded' ? seedIncident : null,
      effectiveDate: new Date(base),
      uid: nextUid++,
      classification: rootClass,
      folderRole: rootRole,
      subject,
      from: ALLOWED,
      conversation: c,
    };
    (kind === 'seeded' || kind === 'outbound' ? seeds : arrivals).push(root);
    conversation.replies.forEach((reply, r) => {
      const i = r + 1;
      const parent = reply.parent % i;
      const chain = [...(chains[parent] as string[]), messageId(parent)];
      chains.push(chain);
      // RFC 5322 trimming keeps the first entry: every reply names the conversation's root.
      const references = chain.filter((ref, k) => k === 0 || reply.keep[k % 6] === true);
      const [role, cls] = silentize(reply.role, reply.classification);
      const email: ScenarioEmail = {
        id: nextId++,
        messageId: messageId(i),
        inReplyTo: reply.withInReplyTo ? messageId(parent) : null,
        references,
        incidentId: kind === 'seeded' && reply.seeded ? seedIncident : null,
        effectiveDate: new Date(base + reply.minutesAfterRoot * 60_000),
        uid: nextUid++,
        classification: cls,
        folderRole: role,
        subject,
        from: reply.allowedSender ? ALLOWED : 'someone@else.ru',
        conversation: c,
      };
      (email.incidentId === null ? arrivals : seeds).push(email);
    });
  });
  return { kinds: conversations.map((c) => c.kind), seeds, arrivals, keys };
}

/** Sequential processing as the mail adapter does it: store, resolve, apply. */
function processInOrder(scenario: Scenario, order: readonly ScenarioEmail[]): Map<number, number | null> {
  const stored = new Map<number, ScenarioEmail>(scenario.seeds.map((e) => [e.id, { ...e }]));
  let nextIncident = NEW_INCIDENTS_FROM;
  for (const arriving of order) {
    stored.set(arriving.id, { ...arriving, incidentId: null });
    const all = [...stored.values()];
    const email = stored.get(arriving.id) as ScenarioEmail;
    const before = new Map(all.map((e) => [e.id, e.incidentId]));
    const decision = resolveThread({
      email,
      thread: threadOf(email.id, all),
      subject: email.subject,
      queue: 'AVRSERVICE',
      incidentIdByKey: scenario.keys,
      fromAddress: email.from,
      senderAllowList: ['@operator.ru'],
    });
    if (decision.link === null) continue;
    const incident = decision.link === 'new' ? nextIncident++ : decision.link;
    for (const adopted of [email.id, ...decision.adopt]) {
      const target = stored.get(adopted) as ScenarioEmail;
      // THREAD-6: only unlinked e-mails are ever (re)linked.
      expect(before.get(adopted)).toBeNull();
      target.incidentId = incident;
    }
    for (const e of stored.values()) {
      if (before.get(e.id) !== null) expect(e.incidentId).toBe(before.get(e.id));
    }
  }
  return new Map([...stored.values()].map((e) => [e.id, e.incidentId]));
}

/** The grouping in incident-independent form: known incidents by id, new ones by their smallest e-mail id. */
function grouping(linked: Map<number, number | null>): Map<number, string> {
  const smallestEmailOf = new Map<number, number>();
  for (const [emailId, incident] of linked) {
    if (incident !== null && incident >= NEW_INCIDENTS_FROM) {
      smallestEmailOf.set(incident, Math.min(emailId, smallestEmailOf.get(incident) ?? emailId));
    }
  }
  return new Map(
    [...linked].map(([emailId, incident]) => [
      emailId,
      incident === null
        ? 'unlinked'
        : incident >= NEW_INCIDENTS_FROM
          ? `new:${smallestEmailOf.get(incident)}`
          : `known:${incident}`,
    ]),
  );
}

describe('THREAD properties (fast-check)', () => {
  const scenarioWithTwoOrders = fc
    .array(conversationArb, { minLength: 1, maxLength: 5 })
    .map(buildScenario)
    .chain((scenario) =>
      fc.tuple(
        fc.constant(scenario),
        fc.shuffledSubarray(scenario.arrivals, {
          minLength: scenario.arrivals.length,
          maxLength: scenario.arrivals.length,
        }),
        fc.shuffledSubarray(scenario.arrivals, {
          minLength: scenario.arrivals.length,
          maxLength: scenario.arrivals.length,
        }),
      ),
    );

  test('THREAD-2/3/4/6/8: the final grouping does not depend on arrival order; linked e-mails never move', () => {
    fc.assert(
      fc.property(scenarioWithTwoOrders, ([scenario, orderA, orderB]) => {
        const a = grouping(processInOrder(scenario, orderA));
        const b = grouping(processInOrder(scenario, orderB));
        expect(a).toEqual(b);
      }),
      { numRuns: 300 },
    );
  });

  test('THREAD-8/THREAD-4/THREAD-6: each conversation ends in the incident its rules name', () => {
    fc.assert(
      fc.property(scenarioWithTwoOrders, ([scenario, order]) => {
        const linked = processInOrder(scenario, order);
        const all = [...scenario.seeds, ...scenario.arrivals];
        scenario.kinds.forEach((kind, c) => {
          const incidents = new Set(all.filter((e) => e.conversation === c).map((e) => linked.get(e.id)));
          expect(incidents.size).toBe(1);
          const [incident] = [...incidents];
          if (kind === 'silent' || kind === 'outbound') expect(incident).toBeNull();
          if (kind === 'seeded') expect(incident).toBe(1000 + c);
          if (kind === 'keyed') expect(incident).toBe(2000 + c);
          if (kind === 'opening') expect(incident).toBeGreaterThanOrEqual(NEW_INCIDENTS_FROM);
        });
        const newIncidents = scenario.kinds.filter((k) => k === 'opening').length;
        const distinctNew = new Set([...linked.values()].filter((i) => i !== null && i >= NEW_INCIDENTS_FROM));
        expect(distinctNew.size).toBe(newIncidents);
      }),
      { numRuns: 300 },
    );
  });
});
