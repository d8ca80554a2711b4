#!/bin/bash
# Builds the manual pages into OUTDIR/man5 and OUTDIR/man8 (roff, gzipped):
#  - locusfs(8) and one page per command, from the AsciiDoc that picocli wrote from the commands
#    themselves at 'mvn package' (cli/target/man/), so the pages say what --help says;
#  - the configuration files' pages and mount.locusfs(8), from packaging/man/*.adoc.
# usage: packaging/man/build.sh OUTDIR      (needs asciidoctor; 'make man' installs it)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?usage: build.sh OUTDIR}
generated=$root/cli/target/man
[ -f "$generated/locusfs.adoc" ] || { echo "no $generated/locusfs.adoc: run 'make build' first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$out/man5" "$out/man8"
mkdir -p "$out/man5" "$out/man8"
for page in "$generated"/*.adoc; do
  # Section 8 (administration commands), our manual's name, and the examples that --help indents
  # by two spaces kept as written: AsciiDoc joins a paragraph's lines, so an indented run becomes
  # a literal block of its own (a blank line before and after it).
  awk '
    /^= .*\(1\)$/ { sub(/\(1\)$/, "(8)") }
    /^:manmanual:/ { $0 = ":manmanual: LocusFS Manual" }
    {
      indented = ($0 ~ /^  [^ ]/ || $0 ~ /^    /)
      if (indented && !inrun && prev != "") print ""
      if (!indented && inrun && $0 != "") print ""
      inrun = indented; prev = $0; print
    }' "$page" > "$work/$(basename "$page")"
done
# locusfs-tls(8) from the script's own usage text (the comment at its top).
{
  printf '= locusfs-tls(8)\n:doctype: manpage\n:manmanual: LocusFS Manual\n:mansource: LocusFS\n\n'
  printf '== Name\n\nlocusfs-tls - a small certificate authority for LocusFS mirrors, with openssl\n\n'
  printf '== Synopsis\n\n....\n'
  "$root/packaging/bin/locusfs-tls" --help | sed -n '3,/^$/p' | sed '$d'
  printf '....\n\n== Description\n\n'
  "$root/packaging/bin/locusfs-tls" --help | sed -n '/^$/,$p' | sed '1d' | sed -n '/^$/,$p' | sed '1d'
  printf '\n== See also\n\n*locusfs-mirror-serve*(8), *locusfs-replication.toml*(5), *openssl*(1)\n'
} > "$work/locusfs-tls.adoc"
asciidoctor -b manpage -D "$out/man8" "$work"/*.adoc
for page in "$root"/packaging/man/*.adoc; do
  case "$page" in
    *.5.adoc) asciidoctor -b manpage -D "$out/man5" "$page" ;;
    *.8.adoc) asciidoctor -b manpage -D "$out/man8" "$page" ;;
  esac
done
gzip -9n "$out"/man5/* "$out"/man8/*
echo "$(ls "$out/man8" | wc -l) pages in section 8, $(ls "$out/man5" | wc -l) in section 5 under $out"
