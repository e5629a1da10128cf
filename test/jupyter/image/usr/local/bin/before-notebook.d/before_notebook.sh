#!/bin/bash
# Stands in for Neurodesktop's before_notebook.sh: sourced by start.sh as
# root after the user switch, it times the image's critical start-up with
# the same [TIMING] lines and then runs the user's start-up as NB_USER.
_t0=$(date +%s%3N)
echo "[TIMING] critical-startup started"
echo "before-notebook hook as uid $(id -u) for ${NB_USER} ${NB_UID}:${NB_GID}"
# A test makes the start-up slow (as CVMFS or a big home can) by leaving
# the number of seconds in the data folder.
if [ -r /neurodesktop-storage/.neurodesk-test-hook-delay ]; then
  sleep "$(cat /neurodesktop-storage/.neurodesk-test-hook-delay)"
fi
echo "[TIMING] critical-startup completed in $(( $(date +%s%3N) - _t0 ))ms"
unset _t0

sudo -H -u "${NB_USER}" NB_USER="${NB_USER}" NB_UID="${NB_UID}" NB_GID="${NB_GID}" \
  /opt/neurodesktop/jupyterlab_startup.sh
