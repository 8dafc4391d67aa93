"""Formula files: the search path, loading by name, listing, TOML conversion and writing.

Search path, first match wins: ``<.beads>/formulas`` of the workspace (or ``./.beads/formulas``
without one), ``~/.beads/formulas``, ``$GT_ROOT/.beads/formulas``, then any extra
directories given.  A name resolves to ``<name>.formula.toml`` first, then ``.formula.json``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable

from bd.errors import FormulaError, NotFoundError
from bd.workflows import formula as fm

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

TOML_EXT, JSON_EXT = ".formula.toml", ".formula.json"


def search_path(beads_dir: str | None = None, extra: Iterable[str] = ()) -> list[str]:
    dirs: list[str] = []
    if beads_dir:
        dirs.append(os.path.join(beads_dir, "formulas"))
    else:
        dirs.append(os.path.join(os.getcwd(), ".beads", "formulas"))
    home = os.path.expanduser("~")
    if home and home != "~":
        dirs.append(os.path.join(home, ".beads", "formulas"))
    gt_root = os.environ.get("GT_ROOT")
    if gt_root:
        dirs.append(os.path.join(gt_root, ".beads", "formulas"))
    dirs.extend(os.path.abspath(d) for d in extra)
    out: list[str] = []
    for d in dirs:
        d = os.path.abspath(d)
        if d not in out:
            out.append(d)
    return out


def read_file(path: str) -> dict[str, Any]:
    """Parse and check one formula file (TOML or JSON by its name)."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise FormulaError(f"cannot read formula: {exc.strerror}", path=path) from None
    try:
        if path.endswith(".toml"):
            import tomllib

            data = tomllib.loads(raw.decode("utf-8"))
        else:
            data = json.loads(raw)
    except UnicodeDecodeError:
        raise FormulaError("formula is not UTF-8 text", path=path) from None
    except ValueError as exc:  # tomllib.TOMLDecodeError and JSONDecodeError are ValueErrors
        raise FormulaError(f"cannot parse formula: {exc}", path=path) from None
    f = fm.parse(data, path)
    f["_path"] = path
    return f


class Library:
    """Formulas found on a search path, each file parsed once."""

    def __init__(self, dirs: list[str]) -> None:
        self.dirs = dirs
        self._cache: dict[str, dict[str, Any]] = {}

    def find(self, name: str) -> str | None:
        for d in self.dirs:
            for ext in (TOML_EXT, JSON_EXT):
                path = os.path.join(d, name + ext)
                if os.path.isfile(path):
                    return path
        return None

    def load(self, name: str) -> dict[str, Any]:
        """The formula called ``name`` (or the file at path ``name``)."""
        if name in self._cache:
            return self._cache[name]
        path = self.find(name)
        if path is None and (name.endswith(TOML_EXT) or name.endswith(JSON_EXT)) \
                and os.path.isfile(name):
            path = name
        if path is None:
            raise NotFoundError(f"formula {name!r} not found in search paths "
                                f"({', '.join(self.dirs)})")
        f = read_file(path)
        self._cache[name] = f
        return f

    def exists(self, name: str) -> bool:
        return self.find(name) is not None or (
            (name.endswith(TOML_EXT) or name.endswith(JSON_EXT)) and os.path.isfile(name))

    def entries(self) -> list[dict[str, Any]]:
        """Every formula on the path (the first of each name wins), sorted by name."""
        seen: dict[str, dict[str, Any]] = {}
        for d in self.dirs:
            try:
                names = sorted(os.listdir(d))
            except OSError:
                continue
            for fname in names:
                if fname.endswith(TOML_EXT):
                    name = fname[:-len(TOML_EXT)]
                elif fname.endswith(JSON_EXT):
                    name = fname[:-len(JSON_EXT)]
                else:
                    continue
                if name in seen:
                    continue
                path = os.path.join(d, fname)
                try:
                    f = read_file(path)
                except FormulaError as exc:
                    seen[name] = {"name": name, "type": "", "description": "",
                                  "source": path, "error": exc.message}
                    continue
                seen[name] = {"name": f["formula"], "type": f["type"],
                              "description": f.get("description", ""), "source": path,
                              "steps": sum(1 for _ in fm.walk_steps(f.get("steps") or [])),
                              "vars": len(f.get("vars") or {})}
        return [seen[k] for k in sorted(seen)]


def to_toml(f: dict[str, Any]) -> str:
    """A formula as TOML text (tomli-w), keys in the order the formula documents them."""
    try:
        import tomli_w
    except ImportError:  # a dependency of bd; an environment made before it was added
        raise FormulaError("writing TOML needs the tomli-w package (pip install tomli-w, or "
                           "make venv)") from None

    data = fm.public({k: v for k, v in f.items() if k != "_path"})
    order = {k: i for i, k in enumerate(fm.TOP_KEYS)}
    data = dict(sorted(data.items(), key=lambda kv: order.get(kv[0], len(order))))
    return tomli_w.dumps(data)


def to_json(f: dict[str, Any]) -> str:
    data = fm.public({k: v for k, v in f.items() if k != "_path"})
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write_atomic(path: str, text: str) -> None:
    from bd.store.jsonl import atomic_write

    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    atomic_write(path, text.encode("utf-8"))


def convert(lib: Library, names: list[str], *, delete: bool = False, stdout: bool = False
            ) -> list[dict[str, Any]]:
    """Rewrite JSON formulas as TOML beside them; returns what was (or would be) written."""
    results = []
    for name in names:
        path = lib.find(name)
        if path is None:
            raise NotFoundError(f"formula {name!r} not found in search paths")
        if not path.endswith(JSON_EXT):
            results.append({"name": name, "source": path, "skipped": "already TOML"})
            continue
        f = read_file(path)
        text = to_toml(f)
        fm.parse(__import__("tomllib").loads(text), path)  # the TOML must read back
        target = path[:-len(JSON_EXT)] + TOML_EXT
        entry: dict[str, Any] = {"name": name, "source": path, "target": target}
        if stdout:
            entry["toml"] = text
        else:
            write_atomic(target, text)
            if delete:
                os.remove(path)
                entry["deleted"] = True
        results.append(entry)
    return results


def json_names(lib: Library) -> list[str]:
    return [e["name"] for e in lib.entries() if e["source"].endswith(JSON_EXT)]
