#!/usr/bin/env bash
# Print the path of a Python interpreter of the version given (from .python-version).
# pyenv's shims are not on PATH everywhere (CI), so ask pyenv itself, then look
# where pyenv installs versions, then fall back to pythonX.Y on PATH.
set -u
version=${1:?usage: find-python.sh VERSION}
short=${version%.*}
for pyenv in pyenv "${PYENV_ROOT:-$HOME/.pyenv}/bin/pyenv"; do
  prefix=$("$pyenv" prefix "$version" 2>/dev/null) && [ -x "$prefix/bin/python" ] && {
    echo "$prefix/bin/python"
    exit 0
  }
done
for candidate in "${PYENV_ROOT:-$HOME/.pyenv}/versions/$version/bin/python" "$(command -v "python$short")"; do
  [ -n "$candidate" ] && [ -x "$candidate" ] && { echo "$candidate"; exit 0; }
done
echo "Python $version not found: install it with pyenv (pyenv install $version)." >&2
exit 1
