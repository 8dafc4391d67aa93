"""A small grammar check for the Mermaid flowcharts bd writes.

It accepts the subset of Mermaid's flowchart grammar bd emits (a header, node declarations
with quoted labels, edges, nested subgraphs, classDef/class lines, comments) and checks what
would make Mermaid's parser fail or misread a diagram: an unknown statement, a node id
outside ``[A-Za-z0-9_]``, a quote or line break inside a label, an edge to an undeclared
node, unbalanced ``subgraph``/``end``, a class applied to an unknown class or node.
"""

from __future__ import annotations

import re

ID = r"[A-Za-z_][A-Za-z0-9_]*"
LABEL = r'"[^"\n]*"'
HEADER = re.compile(r"(flowchart|graph) (TD|TB|LR|RL|BT)\Z")
NODE = re.compile(rf"({ID})(\[{LABEL}\]|\({LABEL}\)|\{{\{{{LABEL}\}}\}})\Z")
SUBGRAPH = re.compile(rf"subgraph ({ID})(\[{LABEL}\])?\Z")
EDGE = re.compile(rf"({ID}) (-->|-\.->|==>|---)(\|{LABEL}\|)? ({ID})\Z")
CLASSDEF = re.compile(rf"classDef ({ID}) [a-z-]+:[^\s;,]+(,[a-z-]+:[^\s;,]+)*\Z")
CLASS = re.compile(rf"class ({ID}(?:,{ID})*) ({ID})\Z")
ENTITY = re.compile(r"#([a-z]+|\d+);")


class MermaidError(ValueError):
    pass


def check(text: str) -> dict[str, int]:
    """Raise MermaidError naming the line of the first problem; return counts."""
    lines = text.split("\n")
    if not lines or not HEADER.match(lines[0].strip()):
        raise MermaidError(f"line 1: expected 'flowchart TD|LR', got {lines[0]!r}")
    nodes: set[str] = set()
    groups: set[str] = set()
    classes: set[str] = set()
    edges: list[tuple[int, str, str]] = []
    applied: list[tuple[int, list[str], str]] = []
    depth = 0
    for n, raw in enumerate(lines[1:], 2):
        line = raw.strip()
        if not line or line.startswith("%%"):
            continue
        if "\t" in raw:
            raise MermaidError(f"line {n}: tab character")
        if m := NODE.match(line):
            _label_ok(line, n)
            nodes.add(m.group(1))
        elif m := SUBGRAPH.match(line):
            _label_ok(line, n)
            if m.group(1) in nodes:
                raise MermaidError(f"line {n}: subgraph id {m.group(1)} is also a node id")
            groups.add(m.group(1))
            depth += 1
        elif line == "end":
            depth -= 1
            if depth < 0:
                raise MermaidError(f"line {n}: 'end' without 'subgraph'")
        elif m := EDGE.match(line):
            _label_ok(line, n)
            edges.append((n, m.group(1), m.group(4)))
        elif m := CLASSDEF.match(line):
            classes.add(m.group(1))
        elif m := CLASS.match(line):
            applied.append((n, m.group(1).split(","), m.group(2)))
        else:
            raise MermaidError(f"line {n}: not a statement Mermaid's flowchart grammar "
                               f"accepts: {line!r}")
    if depth:
        raise MermaidError(f"{depth} subgraph(s) not closed with 'end'")
    for n, a, b in edges:
        for x in (a, b):
            if x not in nodes and x not in groups:
                raise MermaidError(f"line {n}: edge names undeclared node {x}")
    for n, ids, cls in applied:
        if cls not in classes:
            raise MermaidError(f"line {n}: class {cls} has no classDef")
        for x in ids:
            if x not in nodes:
                raise MermaidError(f"line {n}: class applied to undeclared node {x}")
    if nodes & groups:
        raise MermaidError(f"ids used for both a node and a subgraph: {sorted(nodes & groups)}")
    return {"nodes": len(nodes), "edges": len(edges), "subgraphs": len(groups)}


def _label_ok(line: str, n: int) -> None:
    for label in re.findall(LABEL, line):
        body = label[1:-1]
        for bad in ("<", ">", "`"):
            if bad in body:
                raise MermaidError(f"line {n}: raw {bad!r} in a label (use an entity code)")
        # '#' must start an entity code, or Mermaid reads it as one and mangles the text.
        for m in re.finditer("#", body):
            if not ENTITY.match(body, m.start()):
                raise MermaidError(f"line {n}: bare '#' in a label")
