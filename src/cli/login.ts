// DATA-8: a dispatcher login equals the Tracker login: letters, digits, `.`, `_`, `-`, at least 4.
import { z } from 'zod';

const loginSchema = z
  .string()
  .min(4, { message: 'must be at least 4 characters long' })
  .regex(/^[a-zA-Z0-9._-]+$/, { message: 'may contain only letters a-z, A-Z, digits, ".", "_" and "-"' });

/** The reason a login is not acceptable (DATA-8), or null when it is. */
export function loginProblem(login: string): string | null {
  const result = loginSchema.safeParse(login);
  if (result.success) return null;
  return `login ${JSON.stringify(login)} ${result.error.issues.map((i) => i.message).join('; ')} (DATA-8)`;
}
