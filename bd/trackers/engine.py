"""The sync engine shared by every tracker: pull, settle conflicts, push, comments.

A run (see docs/trackers.md):

1. Replay the journal of an unfinished run (remote writes it made are linked, not redone).
2. Fetch remote issues (everything the first time, then those updated since the watermark).
3. For each linked issue compare every synced field with what both sides agreed at the last
   sync (hashes in the state file): a field changed on one side flows to the other; a field
   changed on both sides is a conflict, settled by the policy and reported.
4. Remote writes (create, update, comments), each one journaled (fsynced) as it succeeds.
5. All local changes in one Store transaction: the JSONL is written once, atomically.
6. Save the state, drop the journal.

A failure before step 5 leaves the JSONL untouched; the journal makes the remote side
resumable.  A run in which nothing changed writes nothing: not the JSONL, not the remote,
not the state file.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from bd.core import model
from bd.core.progress import SILENT, Progress
from bd.trackers.base import (
    SYNC_FIELDS,
    Adapter,
    RemoteComment,
    RemoteIssue,
    field_hashes,
    later,
    project,
    ts_key,
)
from bd.trackers.local import add_comments, apply_fields, new_record, title_of
from bd.trackers.report import Conflict, SyncOptions, SyncReport
from bd.trackers.state import State


class _Link:
    """A local issue linked to a remote one, as the run sees it."""

    __slots__ = ("id", "key", "ref", "base")

    def __init__(self, id: str, key: str, ref: str, base: dict[str, Any] | None) -> None:
        self.id, self.key, self.ref, self.base = id, key, ref, base


class Engine:
    def __init__(self, store: Any, adapter: Adapter, opts: SyncOptions, *,
                 progress: Any = None, clock: Callable[[], float] = time.time) -> None:
        self.store, self.adapter, self.opts = store, adapter, opts
        self.progress: Progress = progress or SILENT
        self.clock = clock
        self.state = State.load(store.beads_dir, adapter.name)
        self.report = SyncReport(adapter.name, adapter.target(), opts)
        # Work collected by the plan, applied in step 5.
        self.local_changes: dict[str, dict[str, Any]] = {}  # id -> field values to set
        self.new_local: list[tuple[RemoteIssue, list[RemoteComment]]] = []
        self.local_comments: dict[str, list[RemoteComment]] = {}  # id -> remote comments
        self.set_refs: dict[str, str] = {}
        self._unabsorbed: list[str] = []  # updated_at of remote changes not taken in
        self._news = False  # the fetch brought something that is not an echo of our writes
        self._intents: dict[str, str] = {}
        self._unlinked: list[RemoteIssue] = []  # fetched remote issues no local issue links

    # -- entry point ----------------------------------------------------------------------------
    def run(self) -> SyncReport:
        rep, st, opts = self.report, self.state, self.opts
        st.reset_for(self.adapter.target())
        self._replay_journal()
        records = {r["id"]: r for r in self.store.all_records()}
        links = self._links(records)
        remote = self._fetch(links)
        by_key = {link.key: link for link in links.values()}
        # Linked issues: compare field by field.
        for link in links.values():
            self._settle(records[link.id], link, remote.get(link.key))
        # Remote issues nobody links to: import them.
        for key, r in remote.items():
            if key in by_key:
                continue
            self._news = True
            self._unlinked.append(r)
            if not opts.pull:
                self._unabsorbed.append(r.updated_at)
                continue
            if not self._state_matches(r.fields["status"]):
                continue
            comments = self._remote_comments(r) if r.comment_count != 0 else []
            self.new_local.append((r, comments))
        # Local issues nobody links to: create them remotely.
        if opts.push:
            self._push_new(records, links)
        self._commit_local(records)
        self._finish(remote)
        rep.http = self.adapter.stats()
        return rep

    # -- journal ---------------------------------------------------------------------------------
    def _replay_journal(self) -> None:
        refs, self.report.recovered, self._intents = self.state.replay()
        self.set_refs.update(refs)

    def _journal(self, entry: dict[str, Any]) -> None:
        if not self.opts.dry_run:
            self.state.append(entry)

    # -- linking ----------------------------------------------------------------------------------
    def _links(self, records: Mapping[str, dict[str, Any]]) -> dict[str, _Link]:
        links: dict[str, _Link] = {}
        st = self.state
        for rid, rec in records.items():
            ref = rec.get("external_ref") or ""
            key = self.adapter.parse_ref(ref) if ref else None
            saved = st.links.get(rid)
            if key is None and saved is not None and not ref:
                key, ref = saved["key"], saved["ref"]
            if key is None:
                continue
            base = saved if saved is not None and saved["key"] == key else None
            links[rid] = _Link(rid, key, ref, base)
        # Links to issues that vanished locally (purged) are forgotten.
        for rid in [r for r in st.links if r not in records]:
            del st.links[rid]
        return links

    # -- fetching ---------------------------------------------------------------------------------
    def _fetch(self, links: Mapping[str, _Link]) -> dict[str, RemoteIssue]:
        st, opts = self.state, self.opts
        since = None
        if st.watermark and self._watermark_state() == opts.state:
            since = st.watermark.split("|", 1)[0]
        self.report.incremental = since is not None
        out: dict[str, RemoteIssue] = {}
        with self.progress.task(f"Fetching from {self.adapter.display}") as task:
            def tick(done: int, total: int | None) -> None:
                task.update(done, total)

            for r in self.adapter.fetch(since=since, state=opts.state, progress=tick):
                out[r.key] = r
        self.report.fetched = len(out)
        return out

    def _watermark_state(self) -> str:
        parts = self.state.watermark.split("|", 1)
        return parts[1] if len(parts) == 2 else "all"

    def _state_matches(self, status: str) -> bool:
        if self.opts.state == "all":
            return True
        return (status == "closed") == (self.opts.state == "closed")

    def _remote_comments(self, r: RemoteIssue) -> list[RemoteComment]:
        if r.comments is None:
            r.comments = self.adapter.comments(r)
        return r.comments

    # -- linked issues ----------------------------------------------------------------------------
    def _settle(self, rec: dict[str, Any], link: _Link, r: RemoteIssue | None) -> None:
        opts, rep = self.opts, self.report
        if model.status_of(rec) == "tombstone":
            return  # deleted here: bd neither closes the remote issue nor brings it back
        base = link.base
        local = project(rec)
        lh = field_hashes(local)
        if r is None and base is None:
            # Never compared (another clone linked it): read it before deciding anything.
            r = self.adapter.get(link.key)
            if r is None:
                rep.warnings.append(f"{link.id}: remote issue {link.ref} not found; skipped")
                return
        if base is None:
            assert r is not None
            # No memory of the last agreement: equal fields are agreed, different ones count
            # as changed on both sides (the policy decides).
            rh0 = field_hashes(r.fields)
            lbase = {f: (lh[f] if lh[f] == rh0[f] else "") for f in SYNC_FIELDS}
            rbase = dict(lbase)
        else:
            lbase, rbase = base["l"], base["r"]
        local_changed = [f for f in SYNC_FIELDS if lh[f] != lbase.get(f)]
        if r is None and local_changed and opts.push and opts.state != "all":
            r = self.adapter.get(link.key)  # --state may have hidden a remote change
        rh = field_hashes(r.fields) if r is not None else dict(rbase)
        remote_changed = [f for f in SYNC_FIELDS if rh[f] != rbase.get(f)]
        both = [f for f in local_changed if f in remote_changed]
        if r is not None:  # the same new value on both sides is no conflict
            both = [f for f in both if local[f] != r.fields[f]]
        take_remote = [f for f in remote_changed if f not in local_changed]
        give_local = [f for f in local_changed if f not in remote_changed]
        if both:
            assert r is not None
            kept = self._winner(rec, r)
            for f in both:
                rep.conflicts.append(Conflict(link.id, link.ref, f, local[f], r.fields[f],
                                              rec.get("updated_at", ""), r.updated_at,
                                              opts.policy, kept))
            (take_remote if kept == "remote" else give_local).extend(both)
        pulled = bool(take_remote) and opts.pull and r is not None
        if take_remote and not pulled:
            rep.skipped.append(f"{link.id}: remote changes not pulled (--push)")
            self._unabsorbed.append(r.updated_at if r is not None else "")
        pushed: RemoteIssue | None = None
        push_ok = False
        if give_local:
            why = ("--pull" if not opts.push else "--create-only" if opts.create_only else
                   f"--state {opts.state}" if not self._state_matches(local["status"]) else "")
            if why:
                rep.skipped.append(f"{link.id}: local changes not pushed ({why})")
            else:
                if r is None:
                    r = self.adapter.get(link.key)
                if r is None:
                    rep.warnings.append(f"{link.id}: remote issue {link.ref} not found")
                    return
                # What goes out: local values, except fields only the remote changed.
                outgoing = dict(local)
                for f in take_remote:
                    outgoing[f] = r.fields[f]
                if not opts.dry_run:
                    pushed = self.adapter.update(r, outgoing)
                rep.pushed_updated.append(link.id)
                push_ok = True
        if pulled:
            assert r is not None
            self.local_changes[link.id] = {f: r.fields[f] for f in take_remote}
            rep.pulled_updated.append(link.id)
        # Comments: remote ones new since the last look come in; unmapped local ones go out.
        cmap = dict(base["c"]) if base is not None else {}
        touched = r is not None and (base is None or r.updated_at != base.get("u"))
        if touched and opts.pull and r is not None and r.comment_count != 0:
            self._pull_comments(link.id, rec, r, cmap)
        if opts.push and rec.get("comments"):
            self._push_comments(link.id, rec, pushed or r, link, cmap)
        # What both sides agree on after this run.
        final = pushed or r
        new_local = dict(local)
        if pulled:
            assert r is not None
            for f in take_remote:
                new_local[f] = r.fields[f]
        lh_new = field_hashes(new_local)
        if give_local and not push_ok:  # not pushed: still a local change next time
            lh_new = {f: (lbase.get(f, "") if f in give_local else lh_new[f])
                      for f in SYNC_FIELDS}
        if final is not None:
            rh_new, u_new = field_hashes(final.fields), final.updated_at
        else:
            rh_new, u_new = dict(rbase), (base or {}).get("u", "")
        if take_remote and not pulled:
            rh_new = {f: (rbase.get(f, "") if f in take_remote else rh_new[f])
                      for f in SYNC_FIELDS}
        ref = final.ref if final is not None else link.ref
        if opts.update_refs and ref and rec.get("external_ref") != ref:
            self.set_refs[link.id] = ref
        entry = {"key": link.key, "ref": ref, "l": lh_new, "r": rh_new, "u": u_new, "c": cmap}
        if pushed is not None:
            # What holds if this run dies before the JSONL is written: the local side is as
            # it was (lh), fields this run pulls are still to pull (their old remote hash),
            # and remote comments are still to look at (the old updated_at).
            self._journal({"op": "update", "id": link.id, "l": lh,
                           "r": {f: (rbase.get(f, "") if f in take_remote and pulled
                                     else rh_new[f]) for f in SYNC_FIELDS},
                           "u": (base or {}).get("u", "")})
        self.state.links[link.id] = entry
        if r is not None and not (base is not None and r.updated_at == base.get("u")
                                  and rh == rbase):
            self._news = True

    def _winner(self, rec: Mapping[str, Any], r: RemoteIssue) -> str:
        policy = self.opts.policy
        if policy in ("local", "remote"):
            return policy
        return "local" if later(rec.get("updated_at", ""), r.updated_at) else "remote"

    # -- comments ---------------------------------------------------------------------------------
    def _pull_comments(self, rid: str, rec: Mapping[str, Any], r: RemoteIssue,
                       cmap: dict[str, str]) -> None:
        known_remote = set(cmap.values())
        local = [c for c in rec.get("comments") or [] if isinstance(c, dict)]
        unmapped_local = {str(c.get("text", "")): str(c.get("id")) for c in local
                          if str(c.get("id")) not in cmap}
        for c in self._remote_comments(r):
            if c.id in known_remote:
                continue
            twin = unmapped_local.pop(c.text, None)
            if twin is not None:  # already here (a run cut short): link, do not copy
                cmap[twin] = c.id
                continue
            self.local_comments.setdefault(rid, []).append(c)
            cmap[f"pending:{c.id}"] = c.id
            self.report.comments_pulled += 1

    def _push_comments(self, rid: str, rec: Mapping[str, Any], target: RemoteIssue | None,
                       link: _Link | None, cmap: dict[str, str]) -> None:
        pending = [c for c in rec.get("comments") or []
                   if isinstance(c, dict) and str(c.get("id")) not in cmap]
        if not pending:
            return
        if target is None:
            assert link is not None
            target = self.adapter.get(link.key)
            if target is None:
                return
        remote_texts: dict[str, str] = {}
        if target.comments is not None:  # fetched anyway: guard against a repeated post
            mapped = set(cmap.values())
            remote_texts = {c.text: c.id for c in target.comments if c.id not in mapped}
        for c in pending:
            text = str(c.get("text", ""))
            if not text.strip():
                continue
            if text in remote_texts:
                cmap[str(c["id"])] = remote_texts.pop(text)
                continue
            if self.opts.dry_run:
                self.report.comments_pushed += 1
                continue
            posted = self.adapter.add_comment(target, text)
            cmap[str(c["id"])] = posted.id
            self._journal({"op": "comment", "id": rid, "local": str(c["id"]),
                           "remote": posted.id})
            self.report.comments_pushed += 1

    # -- new local issues -------------------------------------------------------------------------
    def _push_new(self, records: Mapping[str, dict[str, Any]],
                  links: Mapping[str, _Link]) -> None:
        opts, rep = self.opts, self.report
        intents = self._intents
        for rid, rec in records.items():
            if rid in links or rec.get("external_ref"):
                continue  # linked, or linked to another tracker
            status = model.status_of(rec)
            if status == "tombstone" or rec.get("ephemeral") or rec.get("is_template"):
                continue
            fields = project(rec)
            if not self._state_matches(fields["status"]):
                continue
            if rid in intents:
                # A previous run may have created it just before being killed: look for an
                # unlinked remote issue with its title among those fetched.
                match = next((x for x in self._unlinked
                              if x.fields["title"] == intents[rid]), None)
                if match is not None:
                    self._unlinked.remove(match)
                    self.new_local = [x for x in self.new_local if x[0] is not match]
                    self._link_created(rid, rec, match, recovered=True)
                    continue
            if opts.dry_run:
                rep.pushed_created.append(rid)
                rep.comments_pushed += len([c for c in rec.get("comments") or []
                                            if isinstance(c, dict)])
                continue
            self._journal({"op": "intent", "id": rid, "title": fields["title"]})
            created = self.adapter.create(fields)
            self._link_created(rid, rec, created)
            rep.pushed_created.append(rid)

    def _link_created(self, rid: str, rec: Mapping[str, Any], created: RemoteIssue, *,
                      recovered: bool = False) -> None:
        entry = {"key": created.key, "ref": created.ref,
                 "l": field_hashes(project(rec)), "r": field_hashes(created.fields),
                 "u": created.updated_at, "c": {}}
        self._journal({"op": "create", "id": rid, **{k: entry[k] for k in
                                                     ("key", "ref", "l", "r", "u")}})
        if recovered:
            self.report.recovered += 1
        if self.opts.update_refs:
            self.set_refs[rid] = created.ref
        link = _Link(rid, created.key, created.ref, entry)
        self._push_comments(rid, rec, created, link, entry["c"])  # type: ignore[arg-type]
        self.state.links[rid] = entry

    # -- local writes -----------------------------------------------------------------------------
    def _commit_local(self, records: Mapping[str, dict[str, Any]]) -> None:
        rep = self.report
        if self.opts.dry_run:
            rep.pulled_created = [r.ref for r, _ in self.new_local]  # no ids yet: refs
            return
        if not (self.local_changes or self.new_local or self.local_comments or self.set_refs):
            return
        from bd.core import ids

        store = self.store
        known_types = set(model.BUILTIN_TYPES) | set(store.custom_types)
        generated: set[str] = set()
        links = self.state.links
        progress = self.progress if self.new_local else SILENT
        with progress.task("Importing", total=len(self.new_local)) as task, \
                store.transaction() as tx:
            for rid, changes in self.local_changes.items():
                rec = self._current(tx, rid, records[rid])
                if rec is None:
                    continue
                apply_fields(rec, changes, tx.now, known_types)
                tx.put(rec)
                tx.event(rid, "updated", new={"synced_from": self.adapter.name,
                                              "fields": sorted(changes)})
                links[rid]["l"] = field_hashes(project(rec))
            for rid, ref in self.set_refs.items():
                rec = tx.get(rid)
                if rec is None or rec.get("external_ref") == ref:
                    continue
                rec = dict(rec)
                rec["external_ref"] = ref
                tx.put(rec, affects_ready=False)
                if rid not in rep.pushed_created:
                    rep.refs_updated.append(rid)
            for rid, comments in self.local_comments.items():
                rec = tx.get(rid)
                if rec is None:
                    continue
                rec = dict(rec)
                add_comments(rec, comments, links[rid]["c"])
                tx.put(rec, affects_ready=False)
            n_existing = len(records)
            prefix = store.prefix
            for r, comments in self.new_local:
                title = title_of(r.fields["title"])
                rid = ids.generate_id(prefix, title, r.fields["description"], store.actor,
                                      time.time_ns(), n_existing=n_existing + len(generated),
                                      exists=lambda c: c in generated or tx.exists(c))
                generated.add(rid)
                rec = new_record(rid, r, tx.now, store.actor, known_types)
                cmap: dict[str, str] = {}
                if comments:
                    add_comments(rec, comments, cmap)
                    rep.comments_pulled += len(comments)
                tx.put(rec, affects_ready=False)
                tx.event(rid, "created", new={"synced_from": self.adapter.name,
                                              "external_ref": r.ref})
                links[rid] = {"key": r.key, "ref": r.ref, "l": field_hashes(project(rec)),
                              "r": field_hashes(r.fields), "u": r.updated_at, "c": cmap}
                rep.pulled_created.append(rid)
                task.advance()
            rep.jsonl_written = bool(tx.changed)

    def _current(self, tx: Any, rid: str, seen: Mapping[str, Any]) -> dict[str, Any] | None:
        """The record to change, unless someone edited it since the run read it."""
        cur = tx.get(rid)
        if cur is None:
            return None
        if cur.get("updated_at") != seen.get("updated_at"):
            self.report.warnings.append(f"{rid}: changed locally during the sync; its "
                                        "remote changes will be pulled next time")
            link = self.state.links.get(rid)
            if link is not None:
                link["r"] = {f: "" for f in SYNC_FIELDS}
                self._unabsorbed.append(link.get("u", ""))
            self.report.pulled_updated.remove(rid)
            return None
        return dict(cur)

    # -- state ------------------------------------------------------------------------------------
    def _finish(self, remote: Mapping[str, RemoteIssue]) -> None:
        st, rep = self.state, self.report
        if self.opts.dry_run:
            return
        # The watermark moves only when the fetch brought news: echoes of our own writes do
        # not move it, so a sync with nothing to do leaves the state file as it was.  It never
        # passes a remote change this run left behind (--push, say).
        stamps = [r.updated_at for r in remote.values() if r.updated_at]
        if stamps and (self._news or not st.watermark):
            mark = max(stamps, key=ts_key)
            held = [s for s in self._unabsorbed if s]
            if held:
                mark = min([*held, mark], key=ts_key)
            st.watermark = f"{mark}|{self.opts.state}"
        if rep.changed:
            from bd.core.timeutil import now_ts

            st.last_sync = now_ts()
        rep.state_written = st.save()
        st.clear_journal()


def run_sync(store: Any, adapter: Adapter, opts: SyncOptions, *,
             progress: Any = None) -> SyncReport:
    """One sync run of ``adapter`` against ``store``; see the module docstring."""
    try:
        return Engine(store, adapter, opts, progress=progress).run()
    finally:
        adapter.close()


__all__ = ["Engine", "SyncOptions", "SyncReport", "run_sync"]
