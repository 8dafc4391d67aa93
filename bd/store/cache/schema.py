"""The SQLite cache schema: the original's table and column names, plus bd's own columns.

Applications join their own tables with ``issues``, ``dependencies``, ``labels``,
``comments`` and ``events``; bd only ever creates these IF NOT EXISTS and never drops them.
bd's additions are columns prefixed ``bd_`` and the ``metadata`` keys prefixed ``bd_``.
"""

from __future__ import annotations

# 2: binary line hashes, covering indexes, WAL; 3: bd_done_parents; 4: bd_wisps;
# 5: bd_blockers
CACHE_VERSION = "5"

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
    bd_defer_ns INTEGER,
    bd_lead_us INTEGER
);
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
CREATE TABLE IF NOT EXISTS labels (
    issue_id TEXT NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (issue_id, label),
    FOREIGN KEY (issue_id) REFERENCES issues(id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    issue_id TEXT NOT NULL,
    author TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    bd_comment_id INTEGER,
    FOREIGN KEY (issue_id) REFERENCES issues(id) ON DELETE CASCADE
);
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
CREATE TABLE IF NOT EXISTS blocked_issues_cache (
    issue_id TEXT PRIMARY KEY,
    FOREIGN KEY (issue_id) REFERENCES issues(id) ON DELETE CASCADE
);
-- The JSONL as runs of BLOCK_LINES lines, each with the SHA-256 of its bytes and the id of its
-- first line (block 0 starts the file): a refresh hashes whole runs and looks at the lines
-- of the runs that changed only (cache.py).  Valid while bd_jsonl_plain is 1.
CREATE TABLE IF NOT EXISTS bd_blocks (
    n INTEGER PRIMARY KEY,
    first_id TEXT NOT NULL,
    hash BLOB NOT NULL
);
-- Parents whose children are all done (at least one live child, none open), kept in step
-- with each write for the parents it touches: `bd stats` counts the epics among them
-- without visiting every child (epics_eligible_for_closure).
CREATE TABLE IF NOT EXISTS bd_done_parents (issue_id TEXT PRIMARY KEY);
-- Why each dependency-blocked issue is blocked (BLOCKERS_SQL: the `blocked_by` of `bd
-- blocked`), kept in step with blocked_issues_cache by the same writes: `bd blocked` reads
-- its rows' explanations from here instead of walking the graph.
CREATE TABLE IF NOT EXISTS bd_blockers (
    issue_id TEXT NOT NULL,
    who TEXT NOT NULL,
    PRIMARY KEY (issue_id, who)
) WITHOUT ROWID;
-- The ids whose rows come from the git-ignored .beads/wisps.jsonl (ephemeral molecules), not
-- from issues.jsonl: a refresh of issues.jsonl leaves them alone, a refresh of wisps.jsonl
-- (signature in metadata bd_wisps_sig) keeps them in step.
CREATE TABLE IF NOT EXISTS bd_wisps (id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS config (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS metadata (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

# Secondary indexes, apart from the tables so that filling an empty cache can insert first
# and index once (faster than maintaining the indexes row by row).
INDEXES = (
    "CREATE INDEX IF NOT EXISTS idx_issues_external_ref ON issues(external_ref)",
    "CREATE INDEX IF NOT EXISTS idx_issues_bd_created ON issues(bd_created_ns)",
    # Covers the work-set filter and the sort keys of ready/blocked: a ready query reads
    # this index, then only the lines it prints.
    "CREATE INDEX IF NOT EXISTS idx_issues_work ON issues(status, pinned, ephemeral, "
    "is_template, issue_type, bd_defer_ns, priority, bd_created_ns, id)",
    # Covers the (line hash, id) scan of a refresh without reading every row's line.
    "CREATE INDEX IF NOT EXISTS idx_issues_bd_line ON issues(bd_line_hash, id)",
    "CREATE INDEX IF NOT EXISTS idx_dependencies_depends_on_type "
    "ON dependencies(depends_on_id, type)",
    "CREATE INDEX IF NOT EXISTS idx_dependencies_waits ON dependencies(depends_on_id) "
    "WHERE type = 'waits-for'",
    # The lead times `bd stats` averages, in id order, without reading the rows.
    "CREATE INDEX IF NOT EXISTS idx_issues_lead ON issues(id, bd_lead_us) "
    "WHERE bd_lead_us IS NOT NULL",
    # The few deferred-until and pinned issues `bd stats` counts.
    "CREATE INDEX IF NOT EXISTS idx_issues_defer ON issues(bd_defer_ns) "
    "WHERE bd_defer_ns IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS idx_issues_pinned ON issues(status) WHERE pinned != 0",
    "CREATE INDEX IF NOT EXISTS idx_labels_label ON labels(label)",
    "CREATE INDEX IF NOT EXISTS idx_comments_issue ON comments(issue_id)",
    "CREATE INDEX IF NOT EXISTS idx_events_issue ON events(issue_id)",
)
# The indexes dropped while an empty cache is filled (not the events one: events are loaded
# after the issues, row by row).
BULK_INDEXES = ("idx_issues_external_ref", "idx_issues_bd_created", "idx_issues_work",
                "idx_issues_bd_line", "idx_issues_lead", "idx_issues_defer", "idx_issues_pinned",
                "idx_dependencies_depends_on_type",
                "idx_dependencies_waits", "idx_labels_label", "idx_comments_issue")
# The indexes a cold build leaves to the next command that opens the cache (metadata key
# bd_lazy_indexes): none of them is needed to fill the cache, compute the blocked set or
# answer `ready`.  Until then the queries that use them (labels, comments, lead times, the
# refresh's hash scan) read the tables instead, with the same answers, so a query must never
# name one of these in INDEXED BY (SQLite refuses a missing one): tests/unit/test_layers.py
# holds bd to that.
LAZY_INDEXES = ("idx_issues_external_ref", "idx_issues_bd_line", "idx_issues_lead",
                "idx_labels_label", "idx_comments_issue")
# bd's columns added since version 1 (an in-place rebuild adds them to an older table).
ADDED_COLUMNS = (("issues", "bd_lead_us", "INTEGER"),)
# bd's own indexes of earlier cache versions (superseded; dropped on a version change).
OLD_INDEXES = ("idx_issues_status",)

# Issues bd tables own rows of; used when a corrupt or foreign-version cache is rebuilt.
BD_TABLES = ("bd_wisps", "bd_done_parents", "bd_blockers", "bd_blocks", "blocked_issues_cache",
             "events", "comments", "labels", "dependencies", "issues")
BLOCK_LINES = 64

# The parents (all of them, or those in the JSON array bound to the ? of DONE_AMONG) whose
# children are all closed: one live child at least, none open.
_DONE = ("SELECT d.depends_on_id FROM dependencies d JOIN issues c ON c.id = d.issue_id "
         "WHERE d.type = 'parent-child' {among}GROUP BY d.depends_on_id "
         "HAVING sum(c.status != 'tombstone') > 0 "
         "AND sum(c.status NOT IN ('closed', 'tombstone')) = 0")
# All of them: children first, read from the covering work index (id and status), their
# parent-child edges by the primary key, grouped after; the other way round fetched every
# child's row by id (10,000 issues: 10 ms instead of 28).
DONE_PARENTS_SQL = ("SELECT d.depends_on_id FROM issues c CROSS JOIN dependencies d "
                    "ON d.issue_id = c.id AND d.type = 'parent-child' "
                    "GROUP BY d.depends_on_id HAVING sum(c.status != 'tombstone') > 0 "
                    "AND sum(c.status NOT IN ('closed', 'tombstone')) = 0")
DONE_AMONG_SQL = _DONE.format(among="AND d.depends_on_id IN (SELECT value FROM json_each(?)) ")

_FAIL = ("failed", "rejected", "wontfix", "won't fix", "cancelled", "canceled", "abandoned",
         "blocked", "error", "timeout", "aborted")
_FAILED = " OR ".join(
    f"instr(lower(coalesce(b.close_reason, '')), '{w.replace(chr(39), chr(39) * 2)}') > 0"
                      for w in _FAIL)
_INACTIVE = "('closed','tombstone','pinned')"
_META = "CASE WHEN json_valid(d.metadata) THEN json_extract(d.metadata, '$.{key}') END"

_SPAWNER = f"coalesce(nullif({_META.format(key='spawner_id')}, ''), d.depends_on_id)"
# Live children of a waits-for spawner (correlated, so it uses the depends_on index).
_KIDS = ("SELECT 1 FROM dependencies cd JOIN issues c ON c.id = cd.issue_id "
         "AND c.status != 'tombstone' WHERE cd.depends_on_id = w.spawner "
         "AND cd.type = 'parent-child'")


def _direct(scope: str) -> str:
    """(id, who): the edges that block their source right now; ``scope`` filters d.issue_id."""
    return f"""
    SELECT d.issue_id AS id, d.depends_on_id AS who FROM dependencies d
    JOIN issues b ON b.id = d.depends_on_id
    WHERE d.type = 'blocks' AND b.status NOT IN {_INACTIVE} AND {scope}
    UNION
    SELECT d.issue_id, d.depends_on_id FROM dependencies d JOIN issues b ON b.id = d.depends_on_id
    WHERE d.type = 'conditional-blocks' AND (b.status NOT IN {_INACTIVE}
        OR (b.status = 'closed' AND NOT ({_FAILED}))) AND {scope}
    UNION
    SELECT w.issue_id, w.spawner FROM (
        SELECT d.issue_id AS issue_id, {_SPAWNER} AS spawner,
               coalesce({_META.format(key='gate')}, 'all-children') AS gate
        FROM dependencies d JOIN issues y ON y.id = d.depends_on_id AND y.status != 'tombstone'
        WHERE d.type = 'waits-for' AND {scope}
    ) w
    WHERE (w.gate = 'any-children' AND NOT EXISTS ({_KIDS} AND c.status = 'closed'))
       OR (w.gate != 'any-children' AND EXISTS ({_KIDS} AND c.status != 'closed'))"""


# The dependency-blocked set with each id's distance to its nearest directly blocked
# ancestor (0 = blocked by its own edges); graph.py is the oracle this is tested against.
_BLOCKED_DEPTHS = f"""
WITH RECURSIVE
direct(id, who) AS ({_direct("1")}),
blocked(id, depth) AS (
    SELECT DISTINCT d.id, 0 FROM direct d JOIN issues x ON x.id = d.id AND x.status != 'tombstone'
    UNION
    SELECT d.issue_id, b.depth + 1 FROM blocked b
    JOIN dependencies d ON d.depends_on_id = b.id AND d.type = 'parent-child'
    JOIN issues c ON c.id = d.issue_id AND c.status != 'tombstone'
    WHERE b.depth < 50
)"""
BLOCKED_SQL = _BLOCKED_DEPTHS + "\nSELECT DISTINCT id FROM blocked"

# Why each issue is blocked (graph.Graph.blockers), as (id, who) rows: an issue blocked by
# its own edges (depth 0) by the targets or waits-for spawners of those edges, any other
# by its parents one level nearer to a directly blocked ancestor.  Every dependency-blocked
# issue has a row, so the ids of these rows are the blocked set.
_WHY = """,
depth(id, d) AS MATERIALIZED (SELECT id, min(depth) FROM blocked GROUP BY id)
SELECT x.id, x.who FROM direct x JOIN depth c ON c.id = x.id AND c.d = 0{among}
UNION
SELECT c.id, e.depends_on_id FROM depth c
JOIN dependencies e ON e.issue_id = c.id AND e.type = 'parent-child'
JOIN depth p ON p.id = e.depends_on_id AND p.d = c.d - 1
WHERE c.d > 0{among_c}"""
BLOCKERS_SQL = (_BLOCKED_DEPTHS.replace("direct(id, who) AS (",
                                        "direct(id, who) AS MATERIALIZED (")
                + _WHY.format(among="", among_c=""))

_GATING = "('blocks','conditional-blocks','waits-for')"

# Incremental maintenance of the blocked set.  After the rows of the ids in ?1 changed (?2:
# the parents those ids had before the change), the ids whose blockedness may have changed:
# the changed ids, the sources of gating edges to them, the waits-for edges whose spawner's
# children changed, and every parent-child descendant of those.  (Every other issue has the
# same ancestors, edges and ancestor statuses as before.)
AFFECTED_SQL = f"""
WITH RECURSIVE
t(id) AS (SELECT value FROM json_each(?1)),
sp(id) AS (
    SELECT value FROM json_each(?2)
    UNION SELECT d.depends_on_id FROM dependencies d
    WHERE d.issue_id IN (SELECT id FROM t) AND d.type = 'parent-child'
),
seed(id) AS (
    SELECT id FROM t
    UNION SELECT d.issue_id FROM dependencies d
    WHERE d.depends_on_id IN (SELECT id FROM t) AND d.type IN {_GATING}
    UNION SELECT d.issue_id FROM dependencies d
    WHERE d.type = 'waits-for' AND (d.depends_on_id IN (SELECT id FROM sp)
                                    OR {_SPAWNER} IN (SELECT id FROM sp))
),
down(id) AS (
    SELECT id FROM seed
    UNION SELECT d.issue_id FROM dependencies d JOIN down ON d.depends_on_id = down.id
    WHERE d.type = 'parent-child'
)
SELECT id FROM down
"""

# BLOCKERS_SQL for the ids in the JSON array parameter (and only them), evaluated upwards:
# a live issue is blocked when it or a live ancestor within 50 parent-child levels is
# directly blocked, at the distance of the nearest such ancestor (the same rule as the walk
# down of BLOCKED_SQL).  The walk also starts from the ids' parents, whose distances decide
# which parents explain a child.
BLOCKERS_AMONG_SQL = f"""
WITH RECURSIVE
ids(id) AS (SELECT value FROM json_each(?)),
scope(id) AS (
    SELECT id FROM ids
    UNION SELECT d.depends_on_id FROM dependencies d
    WHERE d.type = 'parent-child' AND d.issue_id IN (SELECT id FROM ids)
),
up(id, anc, dist) AS (
    SELECT x.id, x.id, 0 FROM issues x
    WHERE x.id IN (SELECT id FROM scope) AND x.status != 'tombstone'
    UNION
    SELECT up.id, d.depends_on_id, up.dist + 1 FROM up
    JOIN dependencies d ON d.issue_id = up.anc AND d.type = 'parent-child'
    JOIN issues p ON p.id = d.depends_on_id AND p.status != 'tombstone'
    WHERE up.dist < 50
),
direct(id, who) AS MATERIALIZED ({_direct("d.issue_id IN (SELECT anc FROM up)")}),
blocked(id, depth) AS (SELECT up.id, up.dist FROM up WHERE up.anc IN (SELECT id FROM direct))
""" + _WHY.format(among=" WHERE x.id IN (SELECT id FROM ids)",
                  among_c=" AND c.id IN (SELECT id FROM ids)")
