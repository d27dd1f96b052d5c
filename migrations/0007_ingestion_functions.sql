-- 0007: mail ingestion throughput (issue 9, P2).

-- MAIL-4 / MAIL-13 / MAIL-14: message transactions commit without waiting for the WAL flush; before
-- the e-mail ids of a batch are signalled, one synchronous write here flushes the WAL of every
-- earlier commit, so a database crash can never lose an e-mail or incident a workflow was told about.
CREATE TABLE mail_ingestion_flushes (
  folder_name text PRIMARY KEY,
  flushed_at timestamptz NOT NULL DEFAULT now()
);

-- THREAD-2: the connected component of Message-IDs (see loadThread in src/adapters/db/emails.ts) as a
-- PL/pgSQL function, so a connection that stores many messages plans the recursive query once
-- (PL/pgSQL caches its plans per session; planning cost more than running it). The outer lookup
-- uses = ANY(array): the planner cannot estimate the CTE and would hash-join a scan of all e-mails.
CREATE FUNCTION email_thread(seeds text[])
RETURNS TABLE (
  id bigint,
  message_id text,
  in_reply_to text,
  "references" text[],
  incident_id bigint,
  effective_date timestamptz,
  uid bigint,
  classification text,
  folder_role text
)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH RECURSIVE component(mid) AS (
    SELECT unnest(seeds)
    UNION
    SELECT neighbour.mid
    FROM component
    CROSS JOIN LATERAL (
      SELECT e.id FROM emails e WHERE e.message_id = component.mid
      UNION SELECT e.id FROM emails e WHERE e.in_reply_to = component.mid
      UNION SELECT r.email_id FROM email_references r WHERE r.ref_message_id = component.mid
    ) member
    CROSS JOIN LATERAL (
      SELECT e.message_id AS mid FROM emails e WHERE e.id = member.id
      UNION ALL SELECT e.in_reply_to FROM emails e WHERE e.id = member.id AND e.in_reply_to IS NOT NULL
      UNION ALL SELECT r.ref_message_id FROM email_references r WHERE r.email_id = member.id
    ) neighbour
  )
  SELECT e.id, e.message_id, e.in_reply_to,
         coalesce((SELECT array_agg(r.ref_message_id ORDER BY r.position)
                   FROM email_references r WHERE r.email_id = e.id), '{}'::text[]),
         e.incident_id, e.effective_date, e.uid, e.classification, e.folder_role
  FROM emails e
  -- Every stored e-mail touching the component put its own Message-ID into it.
  WHERE e.message_id = ANY(ARRAY(SELECT DISTINCT mid FROM component))
  ORDER BY e.id;
END
$$;

-- MAIL-8 / MAIL-13 / THREAD-1 / THREAD-2 / NOISE-1: the first part of storing one message in one
-- round trip (see storeAndRouteEmail in src/adapters/db/emails-routing.ts): the thread-resolution
-- lock, the outbox look-up, the e-mail row with its child rows (only when the Message-ID is new),
-- the thread of `seeds` and the incidents named by `codes`. A stored Message-ID is returned as is;
-- the caller adds its missing child rows. Each statement below sees what the ones before wrote.
-- `async_commit`: the transaction commits without waiting for the WAL flush (see above).
CREATE FUNCTION ingest_email(
  lock_key bigint,
  e_message_id text, e_is_synthetic_id boolean, e_in_reply_to text, e_subject text, e_from_address text,
  e_requester_address text, e_date_header timestamptz, e_internal_date timestamptz, e_effective_date timestamptz,
  e_body text, e_folder_role text, e_folder_name text, e_uid bigint, e_uidvalidity bigint, e_classification text,
  recipient_kinds text[], recipient_positions integer[], recipient_addresses text[],
  reference_ids text[], observer_addresses text[],
  part_indexes integer[], part_kinds text[], part_names text[], part_mime_types text[], part_sizes bigint[],
  part_sha256s text[], part_statuses text[],
  seeds text[], codes text[], async_commit boolean
)
RETURNS TABLE (
  email_id bigint,
  email_incident_id bigint,
  inserted boolean,
  outbox_incident_id bigint,
  thread jsonb,
  incident_ids_by_code jsonb
)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  new_id bigint;
  own_incident bigint;
  stored_class text;
BEGIN
  PERFORM pg_advisory_xact_lock(lock_key);
  IF async_commit THEN
    PERFORM set_config('synchronous_commit', 'off', true);
  END IF;
  SELECT o.incident_id INTO own_incident FROM outbox o WHERE o.message_id = e_message_id;
  -- NOISE-1 rule 1: a Message-ID in the outbox is `own`, whatever the parser saw.
  stored_class := CASE WHEN own_incident IS NOT NULL THEN 'own' ELSE e_classification END;
  INSERT INTO emails (
    message_id, is_synthetic_id, in_reply_to, subject, from_address, requester_address, date_header,
    internal_date, effective_date, body, folder_role, folder_name, uid, uidvalidity, classification
  ) VALUES (
    e_message_id, e_is_synthetic_id, e_in_reply_to, e_subject, e_from_address, e_requester_address, e_date_header,
    e_internal_date, e_effective_date, e_body, e_folder_role, e_folder_name, e_uid, e_uidvalidity, stored_class
  )
  ON CONFLICT (message_id) DO NOTHING
  RETURNING emails.id INTO new_id;
  IF new_id IS NOT NULL THEN
    INSERT INTO email_recipients (email_id, kind, position, address)
    SELECT new_id, g.kind, g.position, g.address
    FROM unnest(recipient_kinds, recipient_positions, recipient_addresses) AS g(kind, position, address)
    ON CONFLICT DO NOTHING;
    INSERT INTO email_references (email_id, position, ref_message_id)
    SELECT new_id, g.ord - 1, g.ref FROM unnest(reference_ids) WITH ORDINALITY AS g(ref, ord)
    ON CONFLICT DO NOTHING;
    INSERT INTO email_observers (email_id, position, address)
    SELECT new_id, g.ord - 1, g.address FROM unnest(observer_addresses) WITH ORDINALITY AS g(address, ord)
    ON CONFLICT DO NOTHING;
    INSERT INTO attachments (email_id, part_index, kind, original_name, mime_type, size, sha256, status)
    SELECT new_id, g.*
    FROM unnest(part_indexes, part_kinds, part_names, part_mime_types, part_sizes, part_sha256s, part_statuses) AS g
    ON CONFLICT (email_id, part_index) DO NOTHING;
    email_id := new_id;
    email_incident_id := NULL;
    inserted := true;
  ELSE
    SELECT e.id, e.incident_id INTO email_id, email_incident_id FROM emails e WHERE e.message_id = e_message_id;
    inserted := false;
  END IF;
  outbox_incident_id := own_incident;
  SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.id), '[]'::jsonb) INTO thread FROM email_thread(seeds) t;
  SELECT coalesce(jsonb_object_agg(i.code, i.id), '{}'::jsonb) INTO incident_ids_by_code
  FROM incidents i WHERE i.code = ANY(codes);
  RETURN NEXT;
END
$$;

-- THREAD-8 / INC-1 a / INC-4 / INC-5 / INC-6 + THREAD-6 (see createEmailIncidentLinking in
-- src/adapters/db/incidents.ts): the new e-mail incident registered at its opening e-mail, its one
-- history row in `status_name` (0 rows when that status is missing: the caller creates it), and the
-- still-unlinked e-mails of `link_ids` linked to it. A function so its plans are cached per session.
CREATE FUNCTION create_email_incident(
  opening_email_id bigint, opening_effective_date timestamptz, link_ids bigint[], status_name text
)
RETURNS TABLE (incident_id bigint, history_rows integer, linked bigint[])
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  new_id bigint;
BEGIN
  INSERT INTO incidents (registration_time, is_auto, primary_email_id)
  VALUES (opening_effective_date, true, opening_email_id)
  RETURNING incidents.id INTO new_id;
  INSERT INTO incident_status_history (incident_id, status_id, source)
  SELECT new_id, s.id, 'system' FROM incident_statuses s WHERE s.name = status_name;
  GET DIAGNOSTICS history_rows = ROW_COUNT;
  WITH updated AS (
    UPDATE emails SET incident_id = new_id WHERE emails.id = ANY(link_ids) AND emails.incident_id IS NULL
    RETURNING emails.id
  )
  SELECT coalesce(array_agg(updated.id ORDER BY updated.id), '{}') INTO linked FROM updated;
  incident_id := new_id;
  RETURN NEXT;
END
$$;
