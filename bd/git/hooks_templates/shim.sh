#!/bin/sh
# bd-hooks-shim: {hook}
# bd-hooks-version: {version}
# Installed by 'bd hooks install'. It only re-enters 'bd hooks run {hook}', which runs the
# hook that was here before (kept as {hook}.old, same arguments and stdin) and then bd's
# checks. Remove with 'bd hooks uninstall' (restores {hook}.old); do not edit.
here=$(dirname -- "$0")
if command -v bd >/dev/null 2>&1; then
    BD_HOOK_DIR=$here
    export BD_HOOK_DIR
    exec bd hooks run {hook} -- "$@"
fi
# bd is not on PATH: keep the chained hook working and skip bd's part.
if [ -x "$here/{hook}.old" ]; then
    exec "$here/{hook}.old" "$@"
fi
exit 0
