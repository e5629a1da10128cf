#!/bin/bash
# Stands in for Neurodesktop's before_notebook.sh: sourced by start.sh as
# root after the user switch (as the user when started unprivileged), it
# times the image's critical start-up with the same [TIMING] lines, mounts
# the tools (CVMFS, here a folder made after a while) before Jupyter when
# NEURODESKTOP_CVMFS_STARTUP_MODE=eager or else in a background worker,
# prints the access link unless NEURODESKTOP_PRINT_ACCESS_URL=0, and runs
# the user's start-up.
_t0=$(date +%s%3N)
echo "[TIMING] critical-startup started"
echo "before-notebook hook as uid $(id -u) for ${NB_USER} ${NB_UID}:${NB_GID}"
# A test makes the start-up slow (as CVMFS or a big home can) by leaving
# the number of seconds in the data folder.
if [ -r /neurodesktop-storage/.neurodesk-test-hook-delay ]; then
  sleep "$(cat /neurodesktop-storage/.neurodesk-test-hook-delay)"
fi
# A test makes the container end here, after printing its login address as
# images that ignore NEURODESKTOP_PRINT_ACCESS_URL do.
if [ -e /neurodesktop-storage/.neurodesk-test-exit ]; then
  printf ' Neurodesktop is ready. Open this link in your browser:\r\n\r\n     http://localhost:8888/lab?token=%s\r\n' "${JUPYTER_TOKEN}"
  exit 3
fi
# As the image does (before_notebook.sh:662-665): Ollama on the host, or
# 127.0.0.1 when it does not answer within a second. It is also the
# container's first word to the host, which learns its address then.
if [ -n "${OLLAMA_HOST}" ]; then
  _ollama=${OLLAMA_HOST#http://}
  timeout 1 bash -c "exec 3<>/dev/tcp/${_ollama%%:*}/${_ollama##*:}" 2>/dev/null || export OLLAMA_HOST=http://127.0.0.1:11434
  unset _ollama
fi
if [ "$(id -u)" = 0 ] && [ "${NEURODESKTOP_CVMFS_STARTUP_MODE:-lazy}" = eager ] && [ "${CVMFS_DISABLE}" != true ]; then
  /opt/neurodesktop/cvmfs_mount.sh
else
  echo "[INFO] NEURODESKTOP_CVMFS_STARTUP_MODE=lazy: deferring CVMFS mount to background worker."
fi
echo "[TIMING] critical-startup completed in $(( $(date +%s%3N) - _t0 ))ms"
unset _t0
/opt/neurodesktop/deferred_startup.sh &
if [ "${NEURODESKTOP_PRINT_ACCESS_URL:-1}" != 0 ]; then
  /opt/neurodesktop/print_access_url.sh &
fi

if [ "$(id -u)" = 0 ]; then
  sudo -H -u "${NB_USER}" NB_USER="${NB_USER}" NB_UID="${NB_UID}" NB_GID="${NB_GID}" \
    /opt/neurodesktop/jupyterlab_startup.sh
else
  /opt/neurodesktop/jupyterlab_startup.sh
fi
