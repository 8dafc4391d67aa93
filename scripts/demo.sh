#!/usr/bin/env bash
# The main bd workflow, start to finish, in a scratch git repository.
# Run by `make demo` (which puts the project's .venv/bin on PATH); safe to re-run: every run
# gets a fresh directory under $TMPDIR and touches nothing else.
set -euo pipefail

if ! command -v bd >/dev/null 2>&1; then
    echo "demo.sh: 'bd' is not on PATH; run 'make demo' from the project root" >&2
    exit 1
fi

if [ -t 1 ]; then BOLD=$'\033[1m'; DIM=$'\033[2m'; RESET=$'\033[0m'; else BOLD=; DIM=; RESET=; fi

say() { printf '\n%s# %s%s\n' "$DIM" "$*" "$RESET"; }
# The words of a command line, quoted where a shell would need it.
quote() {
    local out="" a
    for a in "$@"; do
        if [[ $a =~ ^[A-Za-z0-9_./:=+-]+$ ]]; then out+="$a "; else out+="\"$a\" "; fi
    done
    printf '%s' "${out% }"
}
# Print a command like a shell transcript, then run it.
run() { printf '%s$ %s%s\n' "$BOLD" "$(quote "$@")" "$RESET"; "$@"; }
# Same, for `bd create ... --silent`: print the command, capture the new id.
new() {
    printf '%s$ %s%s\n' "$BOLD" "$(quote bd create "$@")" "$RESET" >&2
    local id
    id=$(bd create "$@" --silent)
    printf '%s\n' "$id" >&2
    printf '%s' "$id"
}

ROOT=$(mktemp -d "${TMPDIR:-/tmp}/bd-demo.XXXXXX")
REPO="$ROOT/project"
mkdir "$REPO"
cd "$REPO"
git init -q .
# The scratch repositories commit (bd sync); give them an identity of their own, so the demo
# works on a machine whose git has none and leaves the user's git configuration alone.
identity() { git config user.name "bd demo"; git config user.email "demo@example.invalid"; }
identity

say "A fresh git repository at $REPO; bd keeps its issues in .beads/"
run bd init --prefix demo

say "An epic with two children (--parent), and a chain: design blocks build blocks docs"
EPIC=$(new "Ship the login page" -t epic -p 1 -d "Everything needed for users to log in")
DESIGN=$(new "Design the login form" --parent "$EPIC" -p 1 -d "Fields, validation, errors")
BUILD=$(new "Build the login form" --parent "$EPIC" -p 1 --deps "$DESIGN" -d "Per the design")
new "Document the login flow" -t chore -p 2 --deps "$BUILD" -d "User guide page" >/dev/null

say "What can be worked on now? (the epic itself is ready: children never block their parent)"
run bd ready

say "What is waiting, and on what?"
run bd blocked

say "An agent claims the design task (atomic: fails if someone else holds it) and finishes it"
run bd update "$DESIGN" --claim --actor demo-agent
run bd close "$DESIGN" -r "done" --actor demo-agent

say "Closing the design unblocked the build"
run bd ready

say "Everything that hangs off the epic: its children, and what waits on them"
run bd dep tree "$EPIC" --direction up

run bd stats

say "Machine-readable output for agents: every command takes --json"
run bd ready --json --limit 1

say "The truth is one JSON object per line, committed with your code:"
run wc -l .beads/issues.jsonl

say "Two clones of one remote edit the same issue at once; bd sync merges field by field"
git init -q --bare ../remote.git
git remote add origin ../remote.git
git add -A && git commit -qm "Start tracking issues with bd"
git push -q -u origin HEAD 2>/dev/null
git clone -q ../remote.git ../teammate
(cd ../teammate && identity)
(cd ../teammate && bd init --prefix demo -q >/dev/null)
run bd update "$BUILD" -p 0
run bd sync -m "Escalate the build"
printf '%s(in the teammate clone)%s\n' "$DIM" "$RESET"
(cd ../teammate && run bd update "$BUILD" --title "Build the login form (with SSO)" \
    && run bd sync)
run bd sync
run bd show "$BUILD"

printf '\n%sScratch repository: %s%s\n' "$BOLD" "$REPO" "$RESET"
printf 'Explore it with:  cd %s && bd list --all\n' "$REPO"
printf 'Remove it with:   rm -rf %s\n' "$ROOT"
