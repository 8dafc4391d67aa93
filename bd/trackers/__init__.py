"""Two-way sync with external trackers: GitHub Issues, GitLab, Jira and Linear.

One engine (:mod:`bd.trackers.engine`) and four adapters that speak each tracker's API
through one HTTP client (:mod:`bd.trackers.http`, httpx: the optional ``[trackers]``
extra, imported only by these commands).  Links live in each issue's ``external_ref``;
what was last agreed with a tracker lives in a git-ignored state file per tracker
(:mod:`bd.trackers.state`).
"""

from __future__ import annotations

TRACKERS = ("github", "gitlab", "jira", "linear")
