"""Agent memory: compaction of old closed issues ("semantic decay"), restoring them from git,
cleanup, persistent project memories and the audit log of agent interactions.

Sits above ``bd.ops`` and ``bd.git`` and below ``bd.agents`` (prime and the MCP server read
memories and compaction figures) and ``bd.cli``.  Like the rest of the library it never
prints or exits.
"""
