#!/bin/sh
# Makes /usr/bin/neurodeskapp point at the app. Run after install and, on
# rpm, at the end of the transaction: the Neurodesk App 1.x removes that
# path when it is upgraded away (its after-remove script), after our files
# are in place.
set -e
target=/usr/lib/neurodeskapp/neurodeskapp
link=/usr/bin/neurodeskapp
if [ -L "$link" ] && [ "$(readlink "$link")" = "$target" ]; then
  exit 0
fi
# 1.x may have left an alternatives group for the name.
if command -v update-alternatives >/dev/null 2>&1; then
  update-alternatives --remove-all neurodeskapp >/dev/null 2>&1 || true
fi
ln -sfn "$target" "$link"
