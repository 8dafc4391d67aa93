"""``bd admin compact --auto``: summaries written by an LLM through the official ``anthropic``
SDK (the optional extra ``beads-py[ai]``; imported only here, only when --auto runs).

Settings: the key from ``ANTHROPIC_API_KEY`` or config ``ai.api_key``; the model from config
``ai.model`` (default :data:`DEFAULT_MODEL`); the endpoint from config ``ai.base_url`` or the
SDK's own ``ANTHROPIC_BASE_URL``; ``ai.timeout`` seconds per call (60) and ``ai.max_retries``
(3: the SDK retries rate limits, overload and 5xx with backoff, honouring ``retry-after``).
A failed call changes nothing.  The key is never printed: every message that leaves this
module has it masked.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from bd.core.progress import SILENT, Progress
from bd.errors import BdError, UsageError
from bd.memory import audit, compact

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

    from bd.store.store import Store

DEFAULT_MODEL = "claude-haiku-4-5-20251001"
MAX_TOKENS = 1024

_TIER1 = """\
You are summarizing a closed software issue for long-term storage. Your goal is to COMPRESS \
the content: the output MUST be significantly shorter than the input while preserving key \
technical decisions and outcomes.

**Title:** {title}

{body}
IMPORTANT: Your summary must be shorter than the original. Be concise and eliminate redundancy.

Provide a summary in this exact format:

**Summary:** [2-3 concise sentences covering what was done and why]

**Key Decisions:** [Brief bullet points of only the most important technical choices]

**Resolution:** [One sentence on the final outcome]
"""

_TIER2 = """\
You are condensing an already summarized, long-closed software issue to its essence for \
archival storage. Reply with one short paragraph of at most three sentences: what was done, \
the one decision that matters, and the outcome. No headings, no lists.

**Title:** {title}

{body}"""


class SummaryError(BdError):
    """The provider could not produce a usable summary (nothing was changed)."""


def prompt_for(rec: dict[str, Any], tier: int) -> str:
    parts = []
    for key, label in (("description", "Description"), ("design", "Design"),
                       ("acceptance_criteria", "Acceptance Criteria"), ("notes", "Notes")):
        text = rec.get(key)
        if isinstance(text, str) and text:
            parts.append(f"**{label}:**\n{text}\n")
    template = _TIER1 if tier == 1 else _TIER2
    return template.format(title=rec.get("title", ""), body="\n".join(parts))


class Settings:
    __slots__ = ("api_key", "model", "base_url", "timeout", "max_retries", "audit")

    def __init__(self, store: Store) -> None:
        cfg = store.config
        self.api_key = os.environ.get("ANTHROPIC_API_KEY") or str(cfg.get("ai.api_key") or "")
        self.model = str(cfg.get("ai.model") or DEFAULT_MODEL)
        self.base_url = str(cfg.get("ai.base_url") or "") or None
        self.timeout = _number(cfg, "ai.timeout", 60.0)
        self.max_retries = int(_number(cfg, "ai.max_retries", 3))
        self.audit = str(cfg.get("ai.audit") or "").lower() in ("true", "1", "yes")


def _number(cfg: dict[str, Any], key: str, default: float) -> float:
    value = cfg.get(key)
    if value is None or value == "":
        return default
    try:
        number = float(str(value))
    except ValueError:
        raise BdError(f"config {key}: expected a number, got {value!r}", field=key) from None
    if number < 0:
        raise BdError(f"config {key}: must not be negative", field=key)
    return number


def mask(text: str, secret: str | None) -> str:
    """``text`` with the key (and any long tail of it) replaced by ``***``."""
    if secret and len(secret) >= 4:
        text = text.replace(secret, "***")
    return text


def _client(settings: Settings) -> Any:
    try:
        import anthropic
    except ImportError:
        raise BdError("--auto needs the anthropic package: pip install 'beads-py[ai]' "
                      "(or use --analyze/--apply, which need no network)") from None
    return anthropic.Anthropic(api_key=settings.api_key, base_url=settings.base_url,
                               timeout=settings.timeout, max_retries=settings.max_retries)


def _describe(exc: Exception) -> str:
    """A one-line account of an SDK error: its class, HTTP status and the provider's message
    (never the request, whose headers carry the key)."""
    import anthropic

    if isinstance(exc, anthropic.APITimeoutError):
        return "the request timed out"
    if isinstance(exc, anthropic.APIConnectionError):
        return "could not connect to the provider"
    if isinstance(exc, anthropic.APIStatusError):
        detail = ""
        body = exc.body
        if isinstance(body, dict):
            err = body.get("error")
            if isinstance(err, dict) and isinstance(err.get("message"), str):
                detail = f": {err['message']}"
        return f"the provider answered HTTP {exc.status_code}{detail}"
    return f"{type(exc).__name__}"


def call(client: Any, settings: Settings, prompt: str) -> str:
    """One Messages API call; the text of the reply."""
    import anthropic

    try:
        message = client.messages.create(
            model=settings.model, max_tokens=MAX_TOKENS,
            messages=[{"role": "user", "content": prompt}])
    except anthropic.AnthropicError as exc:
        raise SummaryError(mask(_describe(exc), settings.api_key)) from None
    texts = [getattr(b, "text", "") for b in message.content or []
             if getattr(b, "type", "") == "text"]
    text = "".join(texts).strip()
    if not text:
        raise SummaryError("the provider's reply holds no text")
    return text


def _summarise_one(client: Any, settings: Settings, store: Store, rec: dict[str, Any],
                   tier: int) -> dict[str, Any]:
    prompt = prompt_for(rec, tier)
    text = ""
    error = None
    try:
        text = call(client, settings, prompt)
        if len(text.encode("utf-8")) >= compact.text_size(rec):
            error = (f"the summary ({len(text.encode('utf-8'))} bytes) is not shorter than the "
                     f"original ({compact.text_size(rec)} bytes); left unchanged")
    except SummaryError as exc:
        error = mask(str(exc), settings.api_key)
    if settings.audit:
        audit.append(store.beads_dir, {"kind": "llm_call", "actor": store.actor,
                                       "issue_id": rec["id"], "model": settings.model,
                                       "prompt": prompt, "response": text, "error": error})
    return {"issue_id": rec["id"], "summary": text, "error": error}


def auto(store: Store, *, tier: int = 1, issue_id: str | None = None, all_: bool = False,
         dry_run: bool = False, force: bool = False, workers: int = 5,
         batch_size: int = 10, progress: Progress = SILENT) -> dict[str, Any]:
    """Summarise one issue (``issue_id``) or every candidate (``all_``) with the LLM and apply
    the summaries that came back shorter; failed issues are left exactly as they were.

    Candidates go in batches of ``batch_size``: a batch's calls run in parallel
    (``workers``), then its good summaries are written in one transaction, so a long run
    that is interrupted keeps the batches already done."""
    if issue_id and all_:
        raise UsageError("cannot use --id and --all together")
    if force and not issue_id:
        raise UsageError("--force requires --id")
    if not issue_id and not all_ and not dry_run:
        raise UsageError("must specify --all, --id, or --dry-run")
    if workers < 1:
        raise UsageError("--workers must be at least 1")
    if batch_size < 1:
        raise UsageError("--batch-size must be at least 1")
    settings = Settings(store)
    if issue_id:
        rid = store.resolve(issue_id)
        rec = store.get(rid)
        if not force:
            reason = compact.ineligible(store, rec, tier)
            if reason is not None:
                raise BdError(f"{rid} is not eligible for tier {tier} compaction: {reason}",
                              issue_id=rid)
        recs = [rec]
    else:
        recs = [c["record"] for c in compact.candidates(store, tier)]
    total = sum(compact.text_size(r) for r in recs)
    if dry_run:
        return {"dry_run": True, "tier": tier, "candidate_count": len(recs),
                "total_size_bytes": total, "issue_ids": [r["id"] for r in recs],
                "estimated_reduction": compact.SAVINGS[tier][1]}
    if not settings.api_key:
        raise BdError("--auto needs an API key: set ANTHROPIC_API_KEY or config ai.api_key")
    results: list[dict[str, Any]] = []
    applied: dict[str, dict[str, Any]] = {}
    if recs:
        client = _client(settings)
        with ThreadPoolExecutor(max_workers=min(workers, len(recs))) as pool, \
                progress.task("Compacting", total=len(recs)) as task:
            for start in range(0, len(recs), batch_size):
                batch = list(pool.map(
                    lambda r: _summarise_one(client, settings, store, r, tier),
                    recs[start:start + batch_size]))
                results += batch
                task.update(len(results))
                good = [(r["issue_id"], r["summary"]) for r in batch if r["error"] is None]
                if good:
                    for a in compact.apply_many(store, good, tier, force=force):
                        applied[a["issue_id"]] = a
    items = []
    for r in results:
        if r["issue_id"] in applied:
            items.append(applied[r["issue_id"]])
        else:
            items.append({"success": False, "issue_id": r["issue_id"], "tier": tier,
                          "error": r["error"]})
    saved = sum(a["saved_bytes"] for a in applied.values())
    original = sum(a["original_size"] for a in applied.values())
    return {"success": len(applied) == len(results), "tier": tier, "total": len(results),
            "succeeded": len(applied), "failed": len(results) - len(applied),
            "saved_bytes": saved, "original_size": original, "results": items}
