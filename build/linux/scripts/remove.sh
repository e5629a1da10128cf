#!/bin/sh
# On removal (not on upgrade) the link made by link.sh goes too.
set -e
case "$1" in
  remove|purge|0) ;;
  *) exit 0 ;;
esac
if [ -L /usr/bin/neurodeskapp ] && [ "$(readlink /usr/bin/neurodeskapp)" = /usr/lib/neurodeskapp/neurodeskapp ]; then
  rm -f /usr/bin/neurodeskapp
fi
