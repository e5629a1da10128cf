#!/bin/bash
# Stands in for the image's CVMFS mount: the tools' folder appears after a
# while, or the mount fails, as the data folder's .neurodesk-test-cvmfs says
# ("ready SECONDS", "offline", "failed"; default "ready 2"). Prints the lines
# the real mount prints; returns 0 when the tools are there.
read -r outcome delay < /neurodesktop-storage/.neurodesk-test-cvmfs 2>/dev/null || outcome=ready
delay=${delay:-2}
case "${outcome}" in
  offline) echo "[deferred] No internet connection. Disabling CVMFS."; exit 1 ;;
esac
echo "[cvmfs-select] Stage 1: probing candidate hosts in parallel..."
sleep "${delay}"
case "${outcome}" in
  failed)
    echo "[cvmfs-select] WARNING: no CVMFS server reachable - writing static fallback config."
    echo "[deferred] Mounting CVMFS"
    echo "[deferred] Manual CVMFS mount not successful."
    exit 1 ;;
esac
echo "[deferred] Mounting CVMFS"
mkdir -p /cvmfs/neurodesk.ardc.edu.au/neurodesk-modules
echo "[deferred] CVMFS is ready."
