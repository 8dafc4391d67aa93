"""``bd help TOPIC``: short guides that belong to no single command."""

from __future__ import annotations

TOPICS = {
    "ids": """\
Issue ids

An id is the workspace prefix, a dash and a short hash: app-3kx.  Children of an epic add
a dotted number: app-3kx.1, app-3kx.1.2.  Wherever a command takes an id, a unique part
of it is enough: '3kx', 'app-3k'.  A mistyped id names the nearest existing ones.
""",
    "dates": """\
Times and dates (--due, --defer, --created-after, ...)

  2025-01-15              a date (midnight)
  2025-01-15T09:30:00Z    RFC 3339, taken as written
  +6h  +2d  +1w  +1m  -7d from now (h hours, d days, w weeks, m months, y years)
  today  tomorrow  yesterday  monday ... sunday  next week
  '' (empty)          clears a --due or --defer
""",
    "config-keys": """\
Configuration (.beads/config.yaml; 'bd config list' shows every value)

  issue-prefix          the prefix of new ids
  actor                 who acts (else BD_ACTOR, git user.name, $USER)
  status.custom         extra statuses, comma list
  types.custom          extra issue types, comma list
  types.custom_deps     extra dependency types, comma list (they never block)
  allowed_prefixes      other id prefixes accepted by --id and import
  color                 auto, always or never
  plain                 true: no emoji in human output
  pager                 the pager for long output ('never' turns it off)
  sync.branch           the branch sync-branch mode commits to
Environment variables BD_<KEY> override the file; command-line flags override both.
""",
    "environment": """\
Environment variables

  BEADS_DIR, BEADS_DB   the workspace to use (else the nearest .beads/ above)
  BD_ACTOR              who acts (after --actor)
  BD_JSON=1             JSON output, as --json
  NO_COLOR              no colour; CLICOLOR=0 too; CLICOLOR_FORCE=1 colours pipes
  BD_NO_EMOJI           no emoji, as --plain
  BD_PAGER, PAGER       the pager (default 'less -FRX'); BD_NO_PAGER turns it off
  BD_NO_PROGRESS        no progress lines on a terminal
""",
    "exit-codes": """\
Exit codes

  0    success
  1    a bd error: unknown id, invalid data, a lost claim (any failed id fails it)
  2    a usage error: unknown command or flag, a missing argument, an invalid value
       (the message lists the valid values)
  3    an internal error: a bd bug; the message names the file with the traceback
  130  interrupted
With --json an error is printed on stdout as {"error": "..."}.
""",
    "output": """\
Output

Human output is coloured on a terminal only (--color auto|always|never, NO_COLOR,
CLICOLOR, CLICOLOR_FORCE, config 'color').  --plain (config 'plain', BD_NO_EMOJI) drops
emoji.  Long output of list, show, ready and other views goes through a pager on a
terminal ($BD_PAGER, config 'pager', $PAGER, else 'less -FRX'; --no-pager, BD_NO_PAGER).
Long work (import, export, building the cache) shows progress on a terminal's stderr.
-q keeps the answer (lists, counts, a new id) and drops warnings, notes, progress and the
confirmations of changes; errors always print.  --json is for programs: never coloured,
paged or decorated.  Shell completion: 'bd completion bash|zsh|fish'.
""",
}


def topic_text(name: str) -> str | None:
    return TOPICS.get(name)
