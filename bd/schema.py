"""The SQLite cache schema: the original's table and column names, plus bd's own columns.

Applications join their own tables with ``issues``, ``dependencies``, ``labels``,
``comments`` and ``events``; bd only ever creates these IF NOT EXISTS and never drops them.
bd's additions are columns prefixed ``bd_`` and the ``metadata`` keys prefixed ``bd_``.
"""

from __future__ import annotations

CACHE_VERSION = "1"

# (column, record key) for the columns filled from a record; text unless noted in the DDL.
ISSUE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("title", "title"), ("description", "description"), ("design", "design"),
    ("acceptance_criteria", "acceptance_criteria"), ("notes", "notes"), ("status", "status"),
    ("priority", "priority"), ("issue_type", "issue_type"), ("assignee", "assignee"),
    ("estimated_minutes", "estimated_minutes"), ("created_at", "created_at"),
    ("created_by", "created_by"), ("updated_at", "updated_at"), ("closed_at", "closed_at"),
    ("closed_by_session", "closed_by_session"), ("external_ref", "external_ref"),
    ("compaction_level", "compaction_level"), ("compacted_at", "compacted_at"),
    ("compacted_at_commit", "compacted_at_commit"), ("original_size", "original_size"),
    ("deleted_at", "deleted_at"), ("deleted_by", "deleted_by"),
    ("delete_reason", "delete_reason"), ("original_type", "original_type"),
    ("sender", "sender"), ("ephemeral", "ephemeral"), ("pinned", "pinned"),
    ("is_template", "is_template"), ("mol_type", "mol_type"), ("event_kind", "event_kind"),
    ("actor", "actor"), ("target", "target"), ("payload", "payload"),
    ("close_reason", "close_reason"), ("await_type", "await_type"), ("await_id", "await_id"),
    ("timeout_ns", "timeout"), ("waiters", "waiters"), ("hook_bead", "hook_bead"),
    ("role_bead", "role_bead"), ("agent_state", "agent_state"),
    ("last_activity", "last_activity"), ("role_type", "role_type"), ("rig", "rig"),
    ("due_at", "due_at"), ("defer_until", "defer_until"),
)

DDL = """
CREATE TABLE IF NOT EXISTS issues (
    id TEXT PRIMARY KEY,
    content_hash TEXT,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    design TEXT NOT NULL DEFAULT '',
    acceptance_criteria TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'open',
    priority INTEGER NOT NULL DEFAULT 2,
    issue_type TEXT NOT NULL DEFAULT 'task',
    assignee TEXT,
    estimated_minutes INTEGER,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    created_by TEXT DEFAULT '',
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    closed_at DATETIME,
    closed_by_session TEXT DEFAULT '',
    external_ref TEXT,
    compaction_level INTEGER DEFAULT 0,
    compacted_at DATETIME,
    compacted_at_commit TEXT,
    original_size INTEGER,
    deleted_at DATETIME,
    deleted_by TEXT DEFAULT '',
    delete_reason TEXT DEFAULT '',
    original_type TEXT DEFAULT '',
    sender TEXT DEFAULT '',
    ephemeral INTEGER DEFAULT 0,
    pinned INTEGER DEFAULT 0,
    is_template INTEGER DEFAULT 0,
    mol_type TEXT DEFAULT '',
    event_kind TEXT DEFAULT '',
    actor TEXT DEFAULT '',
    target TEXT DEFAULT '',
    payload TEXT DEFAULT '',
    source_repo TEXT DEFAULT '.',
    close_reason TEXT DEFAULT '',
    await_type TEXT,
    await_id TEXT,
    timeout_ns INTEGER,
    waiters TEXT,
    hook_bead TEXT DEFAULT '',
    role_bead TEXT DEFAULT '',
    agent_state TEXT DEFAULT '',
    last_activity DATETIME,
    role_type TEXT DEFAULT '',
    rig TEXT DEFAULT '',
    due_at DATETIME,
    defer_until DATETIME,
    bd_line TEXT NOT NULL DEFAULT '',
    bd_line_hash TEXT NOT NULL DEFAULT '',
    bd_created_ns INTEGER,
    bd_updated_ns INTEGER,
    bd_closed_ns INTEGER,
    bd_due_ns INTEGER,
    bd_defer_ns INTEGER
);
CREATE INDEX IF NOT EXISTS idx_issues_status ON issues(status);
CREATE INDEX IF NOT EXISTS idx_issues_external_ref ON issues(external_ref);
CREATE INDEX IF NOT EXISTS idx_issues_bd_created ON issues(bd_created_ns);
CREATE TABLE IF NOT EXISTS dependencies (
    issue_id TEXT NOT NULL,
    depends_on_id TEXT NOT NULL,
    type TEXT NOT NULL DEFAULT 'blocks',
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    created_by TEXT NOT NULL DEFAULT '',
    metadata TEXT,
    thread_id TEXT,
    PRIMARY KEY (issue_id, depends_on_id, type),
    FOREIGN KEY (issue_id) REFERENCES issues(id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS idx_dependencies_depends_on_type ON dependencies(depends_on_id, type);
CREATE TABLE IF NOT EXISTS labels (
    issue_id TEXT NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (issue_id, label),
    FOREIGN KEY (issue_id) REFERENCES issues(id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS idx_labels_label ON labels(label);
CREATE TABLE IF NOT EXISTS comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    issue_id TEXT NOT NULL,
    author TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    bd_comment_id INTEGER,
    FOREIGN KEY (issue_id) REFERENCES issues(id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS idx_comments_issue ON comments(issue_id);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    issue_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    actor TEXT NOT NULL DEFAULT '',
    old_value TEXT,
    new_value TEXT,
    comment TEXT,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (issue_id) REFERENCES issues(id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS idx_events_issue ON events(issue_id);
CREATE TABLE IF NOT EXISTS blocked_issues_cache (
    issue_id TEXT PRIMARY KEY,
    FOREIGN KEY (issue_id) REFERENCES issues(id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS config (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS metadata (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

# Issues bd tables own rows of; used when a corrupt or foreign-version cache is rebuilt.
BD_TABLES = ("blocked_issues_cache", "events", "comments", "labels", "dependencies", "issues")

_FAIL = ("failed", "rejected", "wontfix", "won't fix", "cancelled", "canceled", "abandoned",
         "blocked", "error", "timeout", "aborted")
_FAILED = " OR ".join(f"instr(lower(coalesce(b.close_reason, '')), '{w.replace(chr(39), chr(39) * 2)}') > 0"
                      for w in _FAIL)
_INACTIVE = "('closed','tombstone','pinned')"
_META = "CASE WHEN json_valid(d.metadata) THEN json_extract(d.metadata, '$.{key}') END"

# The dependency-blocked set (graph.py is the oracle this is tested against).
BLOCKED_SQL = f"""
WITH RECURSIVE
child(parent, status) AS (
    SELECT d.depends_on_id, c.status FROM dependencies d
    JOIN issues c ON c.id = d.issue_id AND c.status != 'tombstone'
    WHERE d.type = 'parent-child'
),
direct(id) AS (
    SELECT d.issue_id FROM dependencies d JOIN issues b ON b.id = d.depends_on_id
    WHERE d.type = 'blocks' AND b.status NOT IN {_INACTIVE}
    UNION
    SELECT d.issue_id FROM dependencies d JOIN issues b ON b.id = d.depends_on_id
    WHERE d.type = 'conditional-blocks' AND (b.status NOT IN {_INACTIVE}
        OR (b.status = 'closed' AND NOT ({_FAILED})))
    UNION
    SELECT w.issue_id FROM (
        SELECT d.issue_id AS issue_id,
               coalesce(nullif({_META.format(key='spawner_id')}, ''), d.depends_on_id) AS spawner,
               coalesce({_META.format(key='gate')}, 'all-children') AS gate
        FROM dependencies d JOIN issues y ON y.id = d.depends_on_id AND y.status != 'tombstone'
        WHERE d.type = 'waits-for'
    ) w
    WHERE (w.gate = 'any-children'
           AND NOT EXISTS (SELECT 1 FROM child c WHERE c.parent = w.spawner AND c.status = 'closed'))
       OR (w.gate != 'any-children'
           AND EXISTS (SELECT 1 FROM child c WHERE c.parent = w.spawner AND c.status != 'closed'))
),
blocked(id, depth) AS (
    SELECT d.id, 0 FROM direct d JOIN issues x ON x.id = d.id AND x.status != 'tombstone'
    UNION
    SELECT d.issue_id, b.depth + 1 FROM blocked b
    JOIN dependencies d ON d.depends_on_id = b.id AND d.type = 'parent-child'
    JOIN issues c ON c.id = d.issue_id AND c.status != 'tombstone'
    WHERE b.depth < 50
)
SELECT DISTINCT id FROM blocked
"""
