#!/bin/bash
# Stands in for Neurodesktop's deferred_startup.sh (config/jupyter/): the
# background worker that mounts the tools once Jupyter answers, logging only
# to /tmp/neurodesktop-deferred-startup.log, and marks its end (whatever the
# outcome) with /tmp/neurodesktop-deferred-startup.done.
DEFERRED_LOG=/tmp/neurodesktop-deferred-startup.log
DEFERRED_DONE=/tmp/neurodesktop-deferred-startup.done
exec >> "${DEFERRED_LOG}" 2>&1
_t0=$(date +%s%3N)
echo "[TIMING] wait-for-jupyter started"
for _ in $(seq 1 120); do
  ss -tln 2>/dev/null | grep -q ':8888 ' && break
  (exec 3<>/dev/tcp/127.0.0.1/8888) 2>/dev/null && break
  sleep 1
done
echo "[TIMING] wait-for-jupyter completed in $(( $(date +%s%3N) - _t0 ))ms"
echo "[deferred] Starting deferred initialization..."
if [ "${NEURODESKTOP_CVMFS_STARTUP_MODE:-lazy}" = eager ]; then
  echo "[deferred] CVMFS startup mode is 'eager', skipping deferred CVMFS."
elif [ "${CVMFS_DISABLE}" = true ]; then
  echo "[deferred] CVMFS is disabled. Skipping."
elif [ -d /cvmfs/neurodesk.ardc.edu.au/neurodesk-modules/ ]; then
  echo "[deferred] CVMFS already mounted. Skipping."
elif [ "$(id -u)" != 0 ]; then
  echo "[deferred] CVMFS cannot be mounted without root. Skipping."
else
  _t1=$(date +%s%3N)
  echo "[TIMING] cvmfs-mount started"
  /opt/neurodesktop/cvmfs_mount.sh
  echo "[TIMING] cvmfs-mount completed in $(( $(date +%s%3N) - _t1 ))ms"
fi
echo "[deferred] Deferred initialization complete."
touch "${DEFERRED_DONE}"
