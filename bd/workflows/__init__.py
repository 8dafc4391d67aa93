"""Workflows: formulas (files), cooking them into protos, molecules and wisps poured from
them, and gates that hold a step until CI, a pull request, a timer or a person says go.

Layering: the pure pipeline (``formula``, ``cook``) imports only ``bd.core``/``bd.errors``;
``library`` reads formula files; ``molecules`` and ``gates`` work through the Store.
"""
