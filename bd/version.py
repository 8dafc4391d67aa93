"""bd's versions: one story, two numbers.

``VERSION`` is the release of the original beads whose command line and JSONL format bd
matches (0.46.0); tools that check ``bd version``, such as the official beads-mcp server,
read this number first.  ``PACKAGE_VERSION`` is this Python package's own version (the
``beads-py`` distribution: ``pip show beads-py``); it changes with every release of bd
itself.  ``bd version`` prints both.
"""

VERSION = "0.46.0"
PACKAGE_VERSION = "0.2.0"
DISTRIBUTION = "beads-py"


def version_line() -> str:
    """What ``bd version`` prints: ``bd version 0.46.0 (python, beads-py 0.2.0)``."""
    return f"bd version {VERSION} (python, {DISTRIBUTION} {PACKAGE_VERSION})"
