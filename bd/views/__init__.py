"""Views for people: dependency graphs (ASCII, DOT, Mermaid, HTML), list trees and
templates, and the local web board (``bd ui``).

A feature room above the store and the mutations, below the CLI.  The renderers return text
and never print; the web server (``bd.views.server``) is imported only by ``bd ui``.
"""
