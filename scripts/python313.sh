#!/usr/bin/env bash
# Prints the path of a Python 3.13 interpreter (the Lambda runtime's version): `python3.13` on the
# PATH when it runs, else pyenv's 3.13. Exits 1 with a hint when there is none.
set -euo pipefail
if command -v python3.13 >/dev/null 2>&1 && python3.13 -c 'pass' >/dev/null 2>&1; then
  command -v python3.13
  exit 0
fi
if command -v pyenv >/dev/null 2>&1; then
  prefix=$(pyenv prefix 3.13 2>/dev/null || true)
  if [ -n "$prefix" ] && [ -x "$prefix/bin/python3.13" ]; then
    echo "$prefix/bin/python3.13"
    exit 0
  fi
fi
echo "Python 3.13 is missing (the Lambda runtime is python3.13): install it, e.g. 'pyenv install 3.13'" >&2
exit 1
