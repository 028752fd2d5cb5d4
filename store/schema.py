"""Database schema, applied through ``sqlite_utils.Migrations``.

Every change to the schema is a new migration function appended at the end;
existing migrations are never edited, so a database made by any earlier
version upgrades in place and re-running ``apply`` is a no-op.
"""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("replywatch")

CONVERSATION_STATUSES = ("new", "open", "replied", "closed", "spam", "ignored")


def _run(db: Database, statements: str) -> None:
    # executescript() would COMMIT the migration's transaction half-way, so
    # statements are executed one by one inside it.
    for statement in statements.split(";"):
        if statement.strip():
            db.execute(statement)


@migrations()
def m001_initial(db: Database) -> None:
    """Create the initial tables and indexes."""
    statuses = ", ".join(f"'{s}'" for s in CONVERSATION_STATUSES)
    _run(
        db,
        f"""
        CREATE TABLE brands (
            key TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            timezone TEXT NOT NULL DEFAULT 'UTC',
            settings TEXT NOT NULL DEFAULT '{{}}'
        );
        CREATE TABLE brand_accounts (
            platform TEXT NOT NULL,
            handle TEXT NOT NULL COLLATE NOCASE,
            account_id TEXT,
            brand TEXT NOT NULL REFERENCES brands(key),
            PRIMARY KEY (platform, handle)
        );
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            external_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            channel TEXT NOT NULL CHECK (channel IN ('public', 'private')),
            direction TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
            brand TEXT,
            author_id TEXT,
            author_handle TEXT,
            author_name TEXT,
            author_followers INTEGER,
            text TEXT NOT NULL DEFAULT '',
            lang TEXT,
            mentions TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            created_ts INTEGER NOT NULL,
            in_reply_to_id TEXT,
            thread_ref TEXT,
            url TEXT,
            source TEXT NOT NULL,
            fetched_at TEXT NOT NULL,
            raw TEXT,
            is_demo INTEGER NOT NULL DEFAULT 0,
            conversation_id INTEGER,
            UNIQUE (platform, external_id)
        );
        CREATE INDEX idx_messages_parent ON messages (platform, in_reply_to_id);
        CREATE INDEX idx_messages_conversation ON messages (conversation_id, created_ts);
        CREATE INDEX idx_messages_created ON messages (created_ts);
        CREATE INDEX idx_messages_thread ON messages (platform, thread_ref);
        CREATE INDEX idx_messages_author ON messages (platform, author_handle);
        CREATE TABLE conversations (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            root_message_id INTEGER NOT NULL UNIQUE,
            brand TEXT,
            channel TEXT NOT NULL,
            customer_handle TEXT,
            status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ({statuses})),
            assignee TEXT,
            tags TEXT NOT NULL DEFAULT '[]',
            needs_response INTEGER NOT NULL DEFAULT 0,
            message_count INTEGER NOT NULL DEFAULT 0,
            inbound_count INTEGER NOT NULL DEFAULT 0,
            outbound_count INTEGER NOT NULL DEFAULT 0,
            first_message_at INTEGER,
            first_customer_at INTEGER,
            first_customer_message_id INTEGER,
            first_response_at INTEGER,
            first_response_message_id INTEGER,
            first_response_seconds INTEGER,
            first_response_business_seconds INTEGER,
            last_customer_at INTEGER,
            last_brand_at INTEGER,
            awaiting_since INTEGER,
            unanswered_count INTEGER NOT NULL DEFAULT 0,
            brand_reply_count INTEGER NOT NULL DEFAULT 0,
            status_changed_at INTEGER,
            reopened_count INTEGER NOT NULL DEFAULT 0,
            sla_due_at INTEGER,
            max_urgency INTEGER,
            last_compound REAL,
            updated_at TEXT
        );
        CREATE INDEX idx_conversations_queue
            ON conversations (needs_response, status, awaiting_since);
        CREATE INDEX idx_conversations_brand_first
            ON conversations (brand, first_customer_at);
        CREATE INDEX idx_conversations_first ON conversations (first_customer_at);
        CREATE TABLE notes (
            id INTEGER PRIMARY KEY,
            conversation_id INTEGER NOT NULL,
            at TEXT NOT NULL,
            author TEXT NOT NULL,
            text TEXT NOT NULL
        );
        CREATE INDEX idx_notes_conversation ON notes (conversation_id);
        CREATE TABLE scores (
            message_id INTEGER PRIMARY KEY REFERENCES messages(id),
            language TEXT NOT NULL,
            compound REAL NOT NULL,
            label TEXT NOT NULL,
            urgency INTEGER NOT NULL,
            urgent INTEGER NOT NULL,
            reasons TEXT NOT NULL DEFAULT '[]',
            scorer TEXT NOT NULL,
            version TEXT NOT NULL,
            scored_at TEXT NOT NULL
        );
        CREATE INDEX idx_scores_version ON scores (version);
        CREATE TABLE collector_state (
            source TEXT PRIMARY KEY,
            cursor TEXT NOT NULL DEFAULT '{{}}',
            updated_at TEXT NOT NULL
        );
        CREATE TABLE collector_health (
            source TEXT PRIMARY KEY,
            last_poll_at TEXT,
            last_success_at TEXT,
            last_error TEXT,
            last_error_at TEXT,
            items_fetched INTEGER NOT NULL DEFAULT 0,
            items_total INTEGER NOT NULL DEFAULT 0,
            rate_limit_wait_s REAL NOT NULL DEFAULT 0,
            consecutive_failures INTEGER NOT NULL DEFAULT 0,
            details TEXT NOT NULL DEFAULT '{{}}'
        );
        CREATE TABLE dead_letters (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            received_at TEXT NOT NULL,
            error TEXT NOT NULL,
            payload TEXT NOT NULL,
            payload_key TEXT NOT NULL,
            UNIQUE (source, payload_key)
        );
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            conversation_id INTEGER,
            detail TEXT NOT NULL DEFAULT '{{}}'
        );
        CREATE INDEX idx_audit_conversation ON audit_log (conversation_id)
        """,
    )


# Columns of conversations that feed the response_rollup table: a change to any
# of them marks the old and the new rollup key dirty (see m002).
ROLLUP_SOURCE_COLUMNS = (
    "brand", "platform", "channel", "local_date", "needs_response", "status",
    "first_response_seconds", "first_response_business_seconds", "first_response_sla_met",
    "brand_reply_count", "reopened_count", "next_response_count",
    "next_response_seconds_total", "next_response_business_seconds_total",
)  # fmt: skip


@migrations()
def m002_response_metrics(db: Database) -> None:
    """Response-time metrics: brand-local period columns, SLA and next-response
    aggregates on conversations, and an exact daily rollup (sorted response
    times per brand, platform, channel and local date) kept current by
    triggers that mark changed keys dirty for ``metrics.engine`` to rebuild."""
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in ROLLUP_SOURCE_COLUMNS)
    _run(
        db,
        """
        ALTER TABLE conversations ADD COLUMN local_date TEXT;
        ALTER TABLE conversations ADD COLUMN local_hour_of_week INTEGER;
        ALTER TABLE conversations ADD COLUMN first_response_start_at INTEGER;
        ALTER TABLE conversations ADD COLUMN first_response_sla_met INTEGER;
        ALTER TABLE conversations ADD COLUMN sla_at_risk_at INTEGER;
        ALTER TABLE conversations ADD COLUMN next_response_count INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE conversations ADD COLUMN next_response_seconds_total
            INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE conversations ADD COLUMN next_response_business_seconds_total
            INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX idx_conversations_rollup_key
            ON conversations (brand, platform, channel, local_date);
        CREATE INDEX idx_conversations_local_date ON conversations (local_date);
        CREATE INDEX idx_conversations_badge ON conversations
            (first_customer_at, needs_response, status, first_response_seconds);
        CREATE INDEX idx_conversations_assignee ON conversations (assignee, local_date);
        CREATE INDEX idx_conversations_sla ON conversations (sla_due_at)
            WHERE sla_due_at IS NOT NULL;
        CREATE TABLE response_rollup (
            brand TEXT NOT NULL,
            platform TEXT NOT NULL,
            channel TEXT NOT NULL,
            local_date TEXT NOT NULL,
            conversations INTEGER NOT NULL,
            answered INTEGER NOT NULL,
            first_response_values BLOB NOT NULL,
            business_first_response_values BLOB NOT NULL,
            sla_met INTEGER NOT NULL,
            closed INTEGER NOT NULL,
            first_contact_resolved INTEGER NOT NULL,
            next_response_count INTEGER NOT NULL,
            next_response_seconds_total INTEGER NOT NULL,
            next_response_business_seconds_total INTEGER NOT NULL,
            PRIMARY KEY (brand, platform, channel, local_date)
        );
        CREATE INDEX idx_response_rollup_date ON response_rollup (local_date);
        CREATE TABLE response_rollup_dirty (
            brand TEXT NOT NULL,
            platform TEXT NOT NULL,
            channel TEXT NOT NULL,
            local_date TEXT NOT NULL,
            PRIMARY KEY (brand, platform, channel, local_date)
        ) WITHOUT ROWID
        """,
    )
    # Trigger bodies contain semicolons, so they cannot go through _run.
    for trigger in (
        """
        CREATE TRIGGER conversations_rollup_delete AFTER DELETE ON conversations
        WHEN old.local_date IS NOT NULL BEGIN
            INSERT OR IGNORE INTO response_rollup_dirty
            VALUES (coalesce(old.brand, ''), old.platform, old.channel, old.local_date);
        END""",
        """
        CREATE TRIGGER conversations_rollup_insert AFTER INSERT ON conversations
        WHEN new.local_date IS NOT NULL BEGIN
            INSERT OR IGNORE INTO response_rollup_dirty
            VALUES (coalesce(new.brand, ''), new.platform, new.channel, new.local_date);
        END""",
        f"""
        CREATE TRIGGER conversations_rollup_update
        AFTER UPDATE OF {", ".join(ROLLUP_SOURCE_COLUMNS)} ON conversations
        WHEN {changed} BEGIN
            INSERT OR IGNORE INTO response_rollup_dirty
            SELECT coalesce(old.brand, ''), old.platform, old.channel, old.local_date
            WHERE old.local_date IS NOT NULL;
            INSERT OR IGNORE INTO response_rollup_dirty
            SELECT coalesce(new.brand, ''), new.platform, new.channel, new.local_date
            WHERE new.local_date IS NOT NULL;
        END""",
    ):
        db.execute(trigger)


@migrations()
def m010_alerts(db: Database) -> None:
    """Urgent-complaint alerts: one row per conversation (``alerts``), the
    notifications sent for them (``alert_digests``, ``alert_deliveries``) and
    per brand+target rate-limit/backoff state (``alert_targets``). Targets are
    named by a key such as ``REPLYWATCH_ALERTS_AURORA#0:slack`` — never by the
    apprise URL, which carries secrets."""
    _run(
        db,
        """
        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            conversation_id INTEGER NOT NULL UNIQUE,
            brand TEXT,
            message_id INTEGER NOT NULL REFERENCES messages(id),
            urgency INTEGER NOT NULL,
            reasons TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL,
            created_ts INTEGER NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            sent_at TEXT,
            digest_id INTEGER,
            detail TEXT
        );
        CREATE INDEX idx_alerts_status ON alerts (status, brand, created_ts);
        CREATE INDEX idx_alerts_message ON alerts (message_id);
        CREATE TABLE alert_digests (
            id INTEGER PRIMARY KEY,
            brand TEXT,
            target TEXT NOT NULL,
            sent_at TEXT NOT NULL,
            alert_count INTEGER NOT NULL
        );
        CREATE TABLE alert_deliveries (
            alert_id INTEGER NOT NULL REFERENCES alerts(id),
            target TEXT NOT NULL,
            digest_id INTEGER NOT NULL REFERENCES alert_digests(id),
            sent_at TEXT NOT NULL,
            PRIMARY KEY (alert_id, target)
        );
        CREATE TABLE alert_targets (
            brand TEXT NOT NULL,
            target TEXT NOT NULL,
            last_sent_ts INTEGER,
            failures INTEGER NOT NULL DEFAULT 0,
            next_attempt_ts INTEGER,
            last_error TEXT,
            last_error_at TEXT,
            lease_until INTEGER,
            PRIMARY KEY (brand, target)
        )
        """,
    )


@migrations()
def m011_messages_fts(db: Database) -> None:
    """Full-text index over message text and author for the triage search.

    External-content FTS5 (no second copy of the text), kept in step by
    triggers; ``remove_diacritics`` lets "nao" find "não". Updates that only
    move a message between conversations do not touch the index."""
    # Trigger bodies contain ";", so these are executed one by one, not via _run.
    statements = [
        """CREATE VIRTUAL TABLE messages_fts USING fts5(
            text, author_handle, author_name,
            content='messages', content_rowid='id',
            tokenize='unicode61 remove_diacritics 2')""",
        """CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
            INSERT INTO messages_fts (rowid, text, author_handle, author_name)
            VALUES (new.id, new.text, new.author_handle, new.author_name);
        END""",
        """CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
            INSERT INTO messages_fts (messages_fts, rowid, text, author_handle, author_name)
            VALUES ('delete', old.id, old.text, old.author_handle, old.author_name);
        END""",
        """CREATE TRIGGER messages_fts_update
        AFTER UPDATE OF text, author_handle, author_name ON messages BEGIN
            INSERT INTO messages_fts (messages_fts, rowid, text, author_handle, author_name)
            VALUES ('delete', old.id, old.text, old.author_handle, old.author_name);
            INSERT INTO messages_fts (rowid, text, author_handle, author_name)
            VALUES (new.id, new.text, new.author_handle, new.author_name);
        END""",
        "INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')",
    ]
    for statement in statements:
        db.execute(statement)


@migrations()
def m012_scores_urgent_index(db: Database) -> None:
    """Index urgent scores by urgency: the triage queue reads the lowest
    urgency that was ever flagged urgent to skip conversations that cannot
    hold an urgent message without looking at their messages."""
    db.execute("CREATE INDEX idx_scores_urgent ON scores (urgent, urgency)")


@migrations()
def m013_fts_indexed_with_threading(db: Database) -> None:
    """Index new messages in the full-text table when they are threaded
    (``store.messages.thread_pending``, same transaction) instead of by a
    per-row trigger: one set-based insert per batch is ~13x cheaper, and bulk
    imports index the whole file at once when they finish."""
    db.execute("DROP TRIGGER IF EXISTS messages_fts_insert")


@migrations()
def m014_privacy(db: Database) -> None:
    """Mark messages erased on a data subject's request (``erased_at``) and
    index dead letters by age for retention pruning."""
    _run(
        db,
        """
        ALTER TABLE messages ADD COLUMN erased_at TEXT;
        CREATE INDEX idx_dead_letters_received ON dead_letters (received_at)
        """,
    )


@migrations()
def m015_fts_without_column_sizes(db: Database) -> None:
    """Rebuild the full-text index without its per-message column sizes
    (FTS5 ``columnsize=0``): they only serve bm25 ranking, which the triage
    search does not use, and writing them was ~40 % of indexing a bulk
    import. Holds the same messages as before: the threaded ones."""
    db.execute("DROP TABLE messages_fts")
    db.execute(
        """CREATE VIRTUAL TABLE messages_fts USING fts5(
            text, author_handle, author_name,
            content='messages', content_rowid='id', columnsize=0,
            tokenize='unicode61 remove_diacritics 2')"""
    )
    db.execute(
        "INSERT INTO messages_fts (rowid, text, author_handle, author_name) "
        "SELECT id, text, author_handle, author_name FROM messages "
        "WHERE conversation_id IS NOT NULL"
    )


@migrations()
def m016_score_intent(db: Database) -> None:
    """Intent of each scored message (``sentiment.intent``): ``intent``
    (complaint, question, thanks, other; NULL for scores made before 1.3.0),
    its reason codes (``intent_reasons``, JSON list) and ``closes`` (1 = a
    thank-you or "solved" message: the customer's closure signal)."""
    _run(
        db,
        """
        ALTER TABLE scores ADD COLUMN intent TEXT;
        ALTER TABLE scores ADD COLUMN intent_reasons TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE scores ADD COLUMN closes INTEGER NOT NULL DEFAULT 0
        """,
    )


@migrations()
def m017_score_reason_codes(db: Database) -> None:
    """Keep each score's urgency reasons as language-neutral codes
    (``sentiment/reasons.py``) beside their English texts, so the dashboard
    shows them in the reader's language and a wording change needs no rescore.
    NULL for scores made before: readers derive the codes from the English
    texts (``reasons.codes_for_texts``), so no rescore is needed either."""
    db.execute("ALTER TABLE scores ADD COLUMN reason_codes TEXT")


def _m018_fill_current_turn(db: Database) -> None:
    # Filled with a frozen copy of what store.scores.refresh_current_turn
    # did when this migration was written (a migration never calls live code,
    # which may change later): the current turn's highest urgency and whether
    # any of its messages is urgent, and the closing message (the latest
    # customer message, when scored as closing after the brand's first reply).
    turn = (
        "FROM messages m JOIN scores s ON s.message_id = m.id "
        "WHERE m.conversation_id = conversations.id AND m.direction = 'inbound' "
        "AND m.created_ts >= conversations.awaiting_since"
    )
    _run(
        db,
        f"""
        UPDATE conversations SET
            current_urgency = CASE WHEN awaiting_since IS NULL THEN 0
                ELSE coalesce((SELECT max(s.urgency) {turn}), 0) END,
            current_urgent = CASE WHEN awaiting_since IS NULL THEN 0
                ELSE EXISTS (SELECT 1 {turn} AND s.urgent = 1) END,
            closing_message_id = CASE
                WHEN first_response_at IS NULL OR inbound_count = 0 THEN NULL
                ELSE (SELECT m.id FROM messages m
                       WHERE m.conversation_id = conversations.id
                         AND m.direction = 'inbound'
                       ORDER BY m.created_ts DESC, m.id DESC LIMIT 1) END;
        UPDATE conversations SET closing_message_id = NULL
         WHERE closing_message_id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM scores s JOIN messages m ON m.id = s.message_id
             WHERE s.message_id = conversations.closing_message_id AND s.closes = 1
               AND conversations.first_response_at <= m.created_ts)
        """,
    )


@migrations()
def m018_current_turn(db: Database) -> None:
    """The customer's current turn (messages since the last brand reply):
    ``current_urgency`` / ``current_urgent`` (highest urgency in it, any of
    its messages urgent) for the triage queue, ``max_urgency`` staying as the
    history; ``closing_message_id`` (the latest customer message when it
    thanks or says "solved" after a brand reply: "probably resolved") and
    ``closing_dismissed_id`` (a person said it is not resolved)."""
    _run(
        db,
        """
        ALTER TABLE conversations ADD COLUMN current_urgency INTEGER;
        ALTER TABLE conversations ADD COLUMN current_urgent INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE conversations ADD COLUMN closing_message_id INTEGER;
        ALTER TABLE conversations ADD COLUMN closing_dismissed_id INTEGER
        """,
    )
    _m018_fill_current_turn(db)


@migrations()
def m019_outcomes(db: Database) -> None:
    """Conversation outcomes (``metrics.outcomes``, definitions in
    docs/metrics.md): the customer's mood before and after the brand's
    reply and its recovery label, resolution (how and when), customer effort
    until resolution, first-contact resolution, and the next conversation
    the same customer opened with the same brand within the repeat-contact
    window. Filled by the engine when messages or scores arrive and by
    ``replywatch recompute`` for conversations stored before."""
    _run(
        db,
        """
        ALTER TABLE conversations ADD COLUMN mood_before REAL;
        ALTER TABLE conversations ADD COLUMN mood_after REAL;
        ALTER TABLE conversations ADD COLUMN mood_recovery REAL;
        ALTER TABLE conversations ADD COLUMN recovery_label TEXT;
        ALTER TABLE conversations ADD COLUMN resolved_by TEXT;
        ALTER TABLE conversations ADD COLUMN resolved_at INTEGER;
        ALTER TABLE conversations ADD COLUMN effort_customer_messages INTEGER;
        ALTER TABLE conversations ADD COLUMN effort_brand_replies INTEGER;
        ALTER TABLE conversations ADD COLUMN first_contact_resolved INTEGER;
        ALTER TABLE conversations ADD COLUMN repeat_contact_id INTEGER;
        CREATE INDEX idx_conversations_customer
            ON conversations (platform, lower(customer_handle), brand, first_customer_at);
        CREATE INDEX idx_conversations_repeat ON conversations (repeat_contact_id)
            WHERE repeat_contact_id IS NOT NULL
        """,
    )


# m020's rule, frozen as it was written (a migration must not change when the
# live rule in untrusted.py does).
_M020_NAMES = (
    "access_token|refresh_token|oauth_token|oauth_signature|client_secret|password|"
    "bearer_token|appsecret_proof|app_secret|fb_exchange_token"
)
_M020_PATTERNS = (
    r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(?:bearer|basic|oauth)\s+[^\s'\",}]+",
    r"(?i)((?:" + _M020_NAMES + r")['\"]?\s*(?:[=:]|%3d)\s*['\"]?)(?:(?!%26)[^\s&'\",}\\])+",
)
_M020_HINTS = ("token", "secret", "password", "signature", "proof", "authorization")


def _m020_scrub(text):
    import re

    if not isinstance(text, str) or not any(h in text.lower() for h in _M020_HINTS):
        return text
    for pattern in _M020_PATTERNS:
        text = re.sub(pattern, lambda m: m.group(1) + "***", text)
    return text


def _m020_suspects(table: str, columns: tuple[str, ...]) -> str:
    likes = " OR ".join(f"{c} LIKE '%{h}%'" for c in columns for h in _M020_HINTS)
    return f"SELECT rowid, {', '.join(columns)} FROM {table} WHERE {likes}"


@migrations()
def m020_scrub_credentials(db: Database) -> None:
    """Remove credentials stored before every channel's payloads and URLs were
    scrubbed (issue 27: a Facebook post's ``comments.paging.next`` URL kept the
    Page's ``access_token`` and ``appsecret_proof`` in ``messages.raw``):
    messages' raw payloads and URLs, dead letters (their key is recomputed
    from the scrubbed text; a copy that then duplicates one already kept is
    dropped) and recorded collector and alert errors."""
    import hashlib

    conn = db.conn
    updates = []
    for rowid, raw, url in conn.execute(_m020_suspects("messages", ("raw", "url"))).fetchall():
        if (_m020_scrub(raw), _m020_scrub(url)) != (raw, url):
            updates.append((_m020_scrub(raw), _m020_scrub(url), rowid))
    conn.executemany("UPDATE messages SET raw = ?, url = ? WHERE rowid = ?", updates)
    query = _m020_suspects("dead_letters", ("payload", "error"))
    for rowid, payload, error in conn.execute(query).fetchall():
        clean = _m020_scrub(payload)
        key = hashlib.sha256(clean.encode("utf-8", errors="surrogatepass")).hexdigest()
        try:
            conn.execute(
                "UPDATE dead_letters SET payload = ?, payload_key = ?, error = ? WHERE rowid = ?",
                (clean, key, _m020_scrub(error), rowid),
            )
        except sqlite3.IntegrityError:
            conn.execute("DELETE FROM dead_letters WHERE rowid = ?", (rowid,))
    for table in ("collector_health", "alerts", "alert_deliveries"):
        columns = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        if "last_error" in columns:
            for rowid, error in conn.execute(_m020_suspects(table, ("last_error",))).fetchall():
                conn.execute(
                    f"UPDATE {table} SET last_error = ? WHERE rowid = ?",
                    (_m020_scrub(error), rowid),
                )


@migrations()
def m021_webhooks(db: Database) -> None:
    """Real-time webhooks (``replywatch webhooks serve``): per channel delivery
    statistics for the Sources page (``webhook_stats``); reactions, edits,
    revokes and delivery statuses that refer to a stored message
    (``message_events``, one row per event id: a retried delivery adds
    nothing); and account events shown as alerts (``account_alerts``:
    template reviews, account restrictions, number changes)."""
    _run(
        db,
        """
        CREATE TABLE webhook_stats (
            channel TEXT PRIMARY KEY,
            deliveries INTEGER NOT NULL DEFAULT 0,
            last_delivery_at TEXT,
            failures INTEGER NOT NULL DEFAULT 0,
            last_failure_at TEXT,
            last_error TEXT,
            signature_rejections INTEGER NOT NULL DEFAULT 0,
            last_rejection_at TEXT
        );
        CREATE TABLE message_events (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            event_key TEXT NOT NULL,
            target_id TEXT NOT NULL,
            thread_ref TEXT,
            kind TEXT NOT NULL CHECK (kind IN ('reaction', 'edit', 'revoke', 'status')),
            value TEXT NOT NULL DEFAULT '',
            detail TEXT,
            at INTEGER NOT NULL,
            UNIQUE (platform, event_key)
        );
        CREATE INDEX idx_message_events_target ON message_events (platform, target_id);
        CREATE INDEX idx_message_events_thread ON message_events (platform, thread_ref, kind)
            WHERE thread_ref IS NOT NULL;
        CREATE TABLE account_alerts (
            id INTEGER PRIMARY KEY,
            channel TEXT NOT NULL,
            account TEXT,
            field TEXT NOT NULL,
            summary TEXT NOT NULL,
            at INTEGER NOT NULL,
            received_at TEXT NOT NULL,
            alert_key TEXT NOT NULL UNIQUE
        )
        """,
    )


@migrations()
def m022_labels_and_models(db: Database) -> None:
    """The team's labels and the per-store models learned from them
    (docs/sentiment.md, "Learning from the team"). ``labels``: one row per
    labelled customer message (``message_id``; the latest click wins, the
    audit log keeps every click) or per imported text (``message_id`` NULL,
    ``text`` set; a re-import of the same text replaces it): intent, urgent
    (0/1, NULL = not said), language, source (agent, import or demo), who
    (``actor``) and when. ``models``: each trained model's weights as
    compressed JSON (never pickle), its cross-validated report against the
    rules, and which one is active (at most one)."""
    _run(
        db,
        """
        CREATE TABLE labels (
            id INTEGER PRIMARY KEY,
            message_id INTEGER REFERENCES messages(id),
            text TEXT,
            language TEXT,
            intent TEXT NOT NULL
                CHECK (intent IN ('complaint', 'question', 'thanks', 'other')),
            urgent INTEGER CHECK (urgent IN (0, 1)),
            source TEXT NOT NULL CHECK (source IN ('agent', 'import', 'demo')),
            actor TEXT NOT NULL,
            labelled_at TEXT NOT NULL,
            CHECK ((message_id IS NULL) != (text IS NULL))
        );
        CREATE UNIQUE INDEX idx_labels_message ON labels (message_id)
            WHERE message_id IS NOT NULL;
        CREATE UNIQUE INDEX idx_labels_text ON labels (text) WHERE message_id IS NULL;
        CREATE TABLE models (
            id INTEGER PRIMARY KEY,
            trained_at TEXT NOT NULL,
            trained_by TEXT NOT NULL,
            label_count INTEGER NOT NULL,
            report TEXT NOT NULL,
            weights BLOB NOT NULL,
            active INTEGER NOT NULL DEFAULT 0
        );
        CREATE UNIQUE INDEX idx_models_active ON models (active) WHERE active = 1
        """,
    )


# The columns m023 adds to the rollup rows: outcome counts and sums (means are
# sum / count), per key (response_rollup) and per key and agent (agent_rollup).
ROLLUP_OUTCOME_COLUMNS = (
    "recovered", "unchanged", "worsened", "silent",
    "mood_recovery_count", "mood_recovery_sum", "mood_before_count", "mood_before_sum",
    "mood_after_count", "mood_after_sum",
    "resolved", "resolved_by_customer", "resolved_by_close", "outcome_first_contact_resolved",
    "effort_customer_count", "effort_customer_sum", "effort_brand_count", "effort_brand_sum",
    "repeat_contacts",
)  # fmt: skip
# m023's trigger columns: m002's plus the outcome columns and the assignee.
_M023_SOURCE_COLUMNS = (
    *ROLLUP_SOURCE_COLUMNS,
    "mood_before", "mood_after", "mood_recovery", "recovery_label", "resolved_by",
    "effort_customer_messages", "effort_brand_replies", "first_contact_resolved",
    "repeat_contact_id", "assignee",
)  # fmt: skip


@migrations()
def m023_rollup_outcomes_and_agents(db: Database) -> None:
    """Outcome reports and the by-agent report read the rollup (issue 26):
    ``response_rollup`` gains outcome counts and sums per key, and
    ``agent_rollup`` holds the same figures per key and agent (assignee, NULL
    = unassigned). The update trigger also marks a key dirty when an outcome
    column or the assignee changes. Every key is marked dirty: the first
    report (or ``replywatch recompute``) rebuilds the rows."""
    sums = {c for c in ROLLUP_OUTCOME_COLUMNS if c.endswith("_sum")}
    _run(
        db,
        ";".join(
            f"ALTER TABLE response_rollup ADD COLUMN {c} "
            + ("REAL NOT NULL DEFAULT 0.0" if c in sums else "INTEGER NOT NULL DEFAULT 0")
            for c in ROLLUP_OUTCOME_COLUMNS
        ),
    )
    values = ", ".join(
        f"{c} {'REAL' if c in sums else 'INTEGER'} NOT NULL" for c in ROLLUP_OUTCOME_COLUMNS
    )
    _run(
        db,
        f"""
        CREATE TABLE agent_rollup (
            brand TEXT NOT NULL,
            platform TEXT NOT NULL,
            channel TEXT NOT NULL,
            local_date TEXT NOT NULL,
            agent TEXT,
            conversations INTEGER NOT NULL,
            answered INTEGER NOT NULL,
            first_response_values BLOB NOT NULL,
            business_first_response_values BLOB NOT NULL,
            sla_met INTEGER NOT NULL,
            closed INTEGER NOT NULL,
            first_contact_resolved INTEGER NOT NULL,
            next_response_count INTEGER NOT NULL,
            next_response_seconds_total INTEGER NOT NULL,
            next_response_business_seconds_total INTEGER NOT NULL,
            {values}
        );
        CREATE INDEX idx_agent_rollup_key ON agent_rollup (brand, platform, channel, local_date);
        CREATE INDEX idx_agent_rollup_date ON agent_rollup (local_date);
        DROP TRIGGER conversations_rollup_update;
        INSERT OR IGNORE INTO response_rollup_dirty
            SELECT DISTINCT coalesce(brand, ''), platform, channel, local_date
            FROM conversations WHERE local_date IS NOT NULL
        """,
    )
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in _M023_SOURCE_COLUMNS)
    db.execute(
        f"""
        CREATE TRIGGER conversations_rollup_update
        AFTER UPDATE OF {", ".join(_M023_SOURCE_COLUMNS)} ON conversations
        WHEN {changed} BEGIN
            INSERT OR IGNORE INTO response_rollup_dirty
            SELECT coalesce(old.brand, ''), old.platform, old.channel, old.local_date
            WHERE old.local_date IS NOT NULL;
            INSERT OR IGNORE INTO response_rollup_dirty
            SELECT coalesce(new.brand, ''), new.platform, new.channel, new.local_date
            WHERE new.local_date IS NOT NULL;
        END"""
    )
