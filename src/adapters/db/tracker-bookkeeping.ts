// Tracker bookkeeping in PostgreSQL (DATA-5): the shared OAuth tokens (YT-3) and the per-e-mail
// comment records (YT-10). No Tracker call happens inside these transactions (YT-19); the only
// remote call made under a lock is the OAuth refresh, which is what makes it single-flight.
import { createHash } from 'node:crypto';
import { sql } from 'slonik';
import type { CommonQueryMethods, DatabasePool } from 'slonik';
import { z } from 'zod';

export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

// One lock for every worker that touches the token row (pg_advisory_xact_lock: released at commit).
const TOKEN_LOCK = sql.unsafe`SELECT pg_advisory_xact_lock(hashtext('dispatch.tracker_oauth_tokens'))`;

const tokenRow = z.object({
  access_token: z.string(),
  refresh_token: z.string(),
  seeded_access_token_sha256: z.string().nullable(),
  seeded_refresh_token_sha256: z.string().nullable(),
});

export interface OAuthTokens {
  accessToken: string;
  refreshToken: string;
}

export interface RefreshedTokens extends OAuthTokens {
  /** Seconds until the access token expires, when the endpoint says so. */
  expiresInSeconds: number | null;
}

async function lockedTokenRow(tx: CommonQueryMethods) {
  await tx.query(TOKEN_LOCK);
  return tx.maybeOne(sql.type(tokenRow)`
    SELECT access_token, refresh_token, seeded_access_token_sha256, seeded_refresh_token_sha256
    FROM tracker_oauth_tokens WHERE id = 1`);
}

/**
 * YT-3: the tokens all workers share. The env values seed the row when there is none, or when they
 * differ from the values that seeded it last (an operator replaced them); otherwise the stored,
 * possibly rotated tokens win over the stale env values.
 */
export async function loadSeededTokens(db: DatabasePool, seed: OAuthTokens): Promise<OAuthTokens> {
  const accessDigest = sha256Hex(seed.accessToken);
  const refreshDigest = sha256Hex(seed.refreshToken);
  return db.transaction(async (tx) => {
    const row = await lockedTokenRow(tx);
    if (row === null) {
      await tx.query(sql.unsafe`
        INSERT INTO tracker_oauth_tokens
          (id, access_token, refresh_token, seeded_access_token_sha256, seeded_refresh_token_sha256, seeded_at)
        VALUES (1, ${seed.accessToken}, ${seed.refreshToken}, ${accessDigest}, ${refreshDigest}, now())`);
      return seed;
    }
    if (row.seeded_access_token_sha256 !== accessDigest || row.seeded_refresh_token_sha256 !== refreshDigest) {
      await tx.query(sql.unsafe`
        UPDATE tracker_oauth_tokens
        SET access_token = ${seed.accessToken}, refresh_token = ${seed.refreshToken},
            seeded_access_token_sha256 = ${accessDigest}, seeded_refresh_token_sha256 = ${refreshDigest},
            seeded_at = now(), refreshed_at = NULL, expires_at = NULL
        WHERE id = 1`);
      return seed;
    }
    return { accessToken: row.access_token, refreshToken: row.refresh_token };
  });
}

/**
 * YT-3 single-flight refresh: under the lock, a worker whose access token is no longer the stored
 * one takes the stored token (another worker refreshed meanwhile); otherwise it calls `refresh` with
 * the stored refresh token and stores the new access and refresh tokens.
 */
export async function refreshTokensOnce(
  db: DatabasePool,
  staleAccessToken: string,
  refresh: (refreshToken: string) => Promise<RefreshedTokens>,
): Promise<{ accessToken: string; refreshed: boolean }> {
  return db.transaction(async (tx) => {
    const row = await lockedTokenRow(tx);
    if (row === null) throw new Error('tracker_oauth_tokens has no row: tokens were never seeded');
    if (row.access_token !== staleAccessToken) return { accessToken: row.access_token, refreshed: false };
    const next = await refresh(row.refresh_token);
    const expiresAt =
      next.expiresInSeconds === null
        ? sql.fragment`NULL`
        : sql.fragment`now() + make_interval(secs => ${next.expiresInSeconds})`;
    await tx.query(sql.unsafe`
      UPDATE tracker_oauth_tokens
      SET access_token = ${next.accessToken}, refresh_token = ${next.refreshToken},
          refreshed_at = now(), expires_at = ${expiresAt}
      WHERE id = 1`);
    return { accessToken: next.accessToken, refreshed: true };
  });
}

// ---------------------------------------------------------------------------------------------
// YT-10 comment records

const commentRecordRow = z.object({
  email_id: z.number(),
  issue_key: z.string(),
  tracker_comment_id: z.string().nullable(),
  state: z.enum(['pending', 'posted']),
  rendered_text_sha256: z.string().nullable(),
});

export interface CommentRecord {
  emailId: number;
  issueKey: string;
  trackerCommentId: string | null;
  state: 'pending' | 'posted';
  renderedTextSha256: string | null;
}

export async function commentRecord(db: CommonQueryMethods, emailId: number): Promise<CommentRecord | null> {
  const row = await db.maybeOne(sql.type(commentRecordRow)`
    SELECT email_id, issue_key, tracker_comment_id, state, rendered_text_sha256
    FROM tracker_comments WHERE email_id = ${emailId}`);
  return row === null
    ? null
    : {
        emailId: row.email_id,
        issueKey: row.issue_key,
        trackerCommentId: row.tracker_comment_id,
        state: row.state,
        renderedTextSha256: row.rendered_text_sha256,
      };
}

/** Written before posting; a `posted` record is never turned back into `pending`. */
export async function markCommentPending(
  db: CommonQueryMethods,
  emailId: number,
  issueKey: string,
  renderedTextSha256: string,
): Promise<void> {
  await db.query(sql.unsafe`
    INSERT INTO tracker_comments (email_id, issue_key, state, rendered_text_sha256)
    VALUES (${emailId}, ${issueKey}, 'pending', ${renderedTextSha256})
    ON CONFLICT (email_id) DO UPDATE
      SET issue_key = EXCLUDED.issue_key, rendered_text_sha256 = EXCLUDED.rendered_text_sha256
      WHERE tracker_comments.state = 'pending'`);
}

/** The e-mail is in the issue: as a comment (id known), or as the issue itself / a found id (id null). */
export async function markCommentPosted(
  db: CommonQueryMethods,
  emailId: number,
  issueKey: string,
  trackerCommentId: string | null,
  renderedTextSha256: string | null,
): Promise<void> {
  await db.query(sql.unsafe`
    INSERT INTO tracker_comments (email_id, issue_key, tracker_comment_id, state, rendered_text_sha256, posted_at)
    VALUES (${emailId}, ${issueKey}, ${trackerCommentId}, 'posted', ${renderedTextSha256}, now())
    ON CONFLICT (email_id) DO UPDATE
      SET state = 'posted', issue_key = EXCLUDED.issue_key,
          tracker_comment_id = coalesce(EXCLUDED.tracker_comment_id, tracker_comments.tracker_comment_id),
          rendered_text_sha256 = coalesce(EXCLUDED.rendered_text_sha256, tracker_comments.rendered_text_sha256),
          posted_at = coalesce(tracker_comments.posted_at, now())`);
}
