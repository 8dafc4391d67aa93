"""``bd doctor``: small independent checks with one registry.

Each check module declares its checks with :func:`bd.doctor.registry.check`; a check's
``run(ctx)`` returns a :class:`Result` (status ok, warn or error) and its optional ``fix(ctx)``
repairs what is safe to repair: configuration (merge driver, ``.gitattributes``, hooks,
``.beads/.gitignore``) and the cache.  Fixes never change issues, never reset a branch and
never push; data problems name the command that repairs them.
"""

from __future__ import annotations

from bd.doctor.registry import CHECKS, Check, Result, check, run_checks

__all__ = ["CHECKS", "Check", "Result", "check", "run_checks"]
