"""``.beads/config.yaml``: the single home of bd's settings (the JSONL is the only other truth).

Reading PyYAML costs ~19 ms per process, so flat ``key: scalar`` files (what ``bd init`` and
``bd config set`` write) are read by a small exact parser; anything else (nesting, lists,
anchors, block scalars) goes to PyYAML.  Nested mappings are flattened to dotted keys.
"""

from __future__ import annotations

import json
import os

from bd.errors import ConfigError

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

# Keys whose values are comma lists.
LIST_KEYS = ("status.custom", "types.custom", "types.custom_deps", "allowed_prefixes")
_SYNONYMS = {"issue_prefix": "issue-prefix", "sync-branch": "sync.branch"}
_PLAIN_BOOL = {"true": True, "false": False, "yes": True, "no": False, "on": True, "off": False}
_SPECIAL = tuple("[]{}&*!|>%@`,")

TEMPLATE = """\
# bd configuration (flat `key: value` lines are read without PyYAML, which keeps bd fast).
# Command-line flags override environment variables (BD_<KEY>), which override this file.
{body}
# status.custom: "awaiting_review,qa"   # extra statuses (comma list)
# types.custom: "spike"                 # extra issue types (comma list)
# types.custom_deps: "mentions"         # extra dependency types (comma list; never block)
# allowed_prefixes: "old,other"         # extra id prefixes accepted by --id
# actor: "alice"                        # default actor for audit fields
# tombstone.ttl_days: 30
"""


def canonical_key(key: str) -> str:
    return _SYNONYMS.get(key, key)


def _plain(value: str) -> Any:
    low = value.lower()
    if low in _PLAIN_BOOL:
        return _PLAIN_BOOL[low]
    if low in ("null", "~", ""):
        return None
    if value.lstrip("-").isdigit():
        return int(value)
    return value


def _fast_parse(text: str) -> dict[str, Any] | None:
    """Parse flat ``key: scalar`` YAML; None when the text needs a real YAML parser."""
    out: dict[str, Any] = {}
    for raw in text.splitlines():
        line = raw.rstrip()
        stripped = line.lstrip()
        if not stripped or stripped.startswith("#"):
            continue
        if line != stripped or stripped in ("---", "..."):
            return None
        key, sep, rest = line.partition(":")
        if not sep or not key or key[0] in "'\"-?" or (rest and rest[0] != " "):
            return None
        rest = rest.strip()
        if rest.startswith('"'):
            end = rest.rfind('"')
            if end == 0 or rest[end + 1:].strip() and not rest[end + 1:].strip().startswith("#"):
                return None
            try:
                value: Any = json.loads(rest[:end + 1])
            except ValueError:
                return None
        elif rest.startswith("'"):
            end = rest.rfind("'")
            if end == 0 or rest[end + 1:].strip() and not rest[end + 1:].strip().startswith("#"):
                return None
            value = rest[1:end].replace("''", "'")
        else:
            if " #" in rest:
                rest = rest.split(" #", 1)[0].rstrip()
            if rest.startswith(_SPECIAL) or ": " in rest or rest.startswith("#"):
                return None
            value = _plain(rest)
        out[key.strip()] = value
    return out


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not isinstance(data, dict):
        return out
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


def parse(text: str, path: str = "config.yaml") -> dict[str, Any]:
    fast = _fast_parse(text)
    if fast is not None:
        data = fast
    else:
        try:
            import yaml
        except ImportError as exc:  # pragma: no cover - PyYAML is a dependency
            raise ConfigError(f"PyYAML is needed to read {path}: {exc}") from None
        try:
            data = _flatten(yaml.safe_load(text) or {})
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            raise ConfigError(f"invalid YAML: {getattr(exc, 'problem', exc)}", path=path,
                              line=line) from None
        except RecursionError:
            raise ConfigError("invalid YAML: nested too deeply", path=path) from None
    return {canonical_key(k): v for k, v in data.items()}


def load(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", path=path) from None
    return parse(text, path)


def _yaml_scalar(value: str) -> str:
    # NEL and the Unicode line/paragraph separators would split the line (str.splitlines
    # and YAML both break there): escape them like JSON's control characters.
    return (json.dumps(value, ensure_ascii=False).replace("\x85", "\\u0085")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


def set_value(path: str, key: str, value: str | None) -> None:
    """Set (or with None, remove) one flat key, keeping comments and the other lines."""
    from bd.store.jsonl import atomic_write

    key = canonical_key(key)
    if not key or key[0] in ".-" or not _KEY_CHARS.issuperset(key):
        raise ConfigError(f"invalid config key {key[:60]!r} (letters, digits, '_', '.' and "
                          "'-' only)", field=key[:60])
    if key == "issue-prefix" and value is not None:
        from bd.core.ids import check_prefix

        check_prefix(value.rstrip("-"))
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except FileNotFoundError:
        lines = []
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", path=path) from None
    names = {key} | {k for k, v in _SYNONYMS.items() if v == key}
    out: list[str] = []
    done = False
    for line in lines:
        name = line.split(":", 1)[0].strip() if ":" in line and not line.startswith(("#", " ")) \
            else None
        if name in names:
            if value is not None and not done:
                out.append(f"{key}: {_yaml_scalar(value)}")
                done = True
            continue
        out.append(line)
    if value is not None and not done:
        out.append(f"{key}: {_yaml_scalar(value)}")
    text = "\n".join(out) + "\n"
    parse(text, path)  # never write a file we could not read back
    atomic_write(path, text.encode("utf-8"))


def get_list(cfg: dict[str, Any], key: str) -> list[str]:
    value = cfg.get(key)
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [p.strip() for p in str(value).split(",") if p.strip()]


def env_override(cfg: dict[str, Any]) -> dict[str, Any]:
    """``BD_<KEY>`` environment variables override the file (dots and dashes → ``_``)."""
    for key in ("actor", "json", "issue-prefix"):
        env = "BD_" + key.upper().replace(".", "_").replace("-", "_")
        if env in os.environ:
            cfg[key] = _plain(os.environ[env])
    return cfg
