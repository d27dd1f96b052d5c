import { z } from 'zod';

/** A mailbox of the sandbox mail servers: the IMAP login and SMTP AUTH user is the address itself. */
export interface MailUser {
  address: string;
  password: string;
}

/** Password of the default sandbox mailboxes (override per user; never a real secret). */
export const SANDBOX_MAIL_PASSWORD = 'secret';

/** Receives whatever is sent to a domain that has no sandbox mailbox: nothing leaves the machine. */
export const SINK_ADDRESS = 'sink@sandbox.invalid';

// Dovecot's passwd-file separates fields with ':' and the scripts split user lists on blanks.
const mailUserSchema = z.object({
  address: z.string().regex(/^[^\s@:]+@[^\s@:]+\.[^\s@:]+$/, 'expected an address like disp@example.ru'),
  password: z.string().regex(/^[^\s:]+$/, 'expected a non-empty password without blanks or ":"'),
});

export const mailUsersSchema = z
  .array(mailUserSchema)
  .min(1, 'at least the collection mailbox is needed')
  .refine((users) => new Set(users.map((u) => u.address.toLowerCase())).size === users.length, {
    message: 'addresses must be unique (compared case-insensitively)',
  });

/**
 * The mailboxes of the SPEC's acceptance examples: the collection mailbox first (disp@example.ru),
 * then a requester (noc@operator.ru) and a contractor (avr@remont.ru), so that notices can be read back.
 */
export function defaultMailUsers(password: string = SANDBOX_MAIL_PASSWORD): MailUser[] {
  return ['disp@example.ru', 'noc@operator.ru', 'avr@remont.ru'].map((address) => ({ address, password }));
}

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}
