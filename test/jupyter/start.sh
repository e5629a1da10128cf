#!/bin/sh
# start.sh jupyter lab [flags], as the app runs Neurodesktop, in small: give
# the image's user jovyan the host user's ids (NB_UID, NB_GID), then run a
# real Jupyter server as jovyan with the token from JUPYTER_TOKEN. Debian
# has no JupyterLab, so the classic Notebook server stands in for it; the
# neurodesk_test extension serves /lab and /neurodesktop as pages the tests
# control. The app's own flags are accepted and not needed here.
set -eu
uid=${NB_UID:-1000}
gid=${NB_GID:-1000}
if [ "$(id -u)" = 0 ]; then
  [ "$(id -g jovyan)" = "$gid" ] || groupmod -o -g "$gid" jovyan
  [ "$(id -u jovyan)" = "$uid" ] || usermod -o -u "$uid" -g "$gid" jovyan
  chown "$uid:$gid" /home/jovyan
  echo "Running Jupyter as jovyan ($uid:$gid)"
  exec setpriv --reuid="$uid" --regid="$gid" --init-groups env HOME=/home/jovyan USER=jovyan "$0" "$@"
fi
cd /neurodesktop-storage 2>/dev/null || cd /home/jovyan
export PYTHONPATH=/usr/local/share/neurodesk-test
exec python3 -m notebook --no-browser --ip=0.0.0.0 --port=8888 \
  --notebook-dir="$(pwd)" \
  --NotebookApp.nbserver_extensions='{"neurodesk_test": True}' \
  --NotebookApp.default_url=/lab \
  --NotebookApp.password=''
