// Package cluster runs Neurodesktop as a SLURM batch job on an HPC
// cluster, reached over SSH through its login node. This file writes the
// job: its resources, and a script that runs the image with Apptainer
// where the node has it (Podman otherwise), JupyterLab on a free port of
// the node, and says where it listens. The token never appears in the
// script, on a command line or in SLURM's records: the app writes it over
// SSH's standard input into a file only the user can read, the job reads
// and removes it, and it reaches Jupyter through the environment.
package cluster

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Job is what the person asks of the cluster.
type Job struct {
	Partition string // "" is the cluster's default
	Account   string // "" is the user's default
	CPUs      int
	MemoryGB  int
	GPUs      int
	Walltime  time.Duration
	// DataFolder is a path on the cluster, mounted at /neurodesktop-storage
	// ("": ~/neurodesktop-storage there, made when missing).
	DataFolder string
	// Image is the registry reference (docker://…) or a site's SIF file.
	Image string
}

// JobName marks the app's jobs: squeue finds the user's by it.
const JobName = "neurodeskapp"

// StateDir is the app's folder in the user's home on the cluster (private):
// the token file, the job's log and the address it listens on.
const StateDir = ".neurodeskapp"

var safeWord = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// Validate says what is wrong with j, field by field, worded for a person.
func (j Job) Validate() []string {
	var errs []string
	for name, v := range map[string]string{"partition": j.Partition, "account": j.Account} {
		if v != "" && !safeWord.MatchString(v) {
			errs = append(errs, fmt.Sprintf("the %s %q may hold only letters, digits, '.', '_' and '-'", name, v))
		}
	}
	if j.CPUs < 1 || j.CPUs > 1024 {
		errs = append(errs, fmt.Sprintf("cores must be from 1 to 1024, not %d", j.CPUs))
	}
	if j.MemoryGB < 1 || j.MemoryGB > 16384 {
		errs = append(errs, fmt.Sprintf("memory must be from 1 to 16384 GB, not %d", j.MemoryGB))
	}
	if j.GPUs < 0 || j.GPUs > 64 {
		errs = append(errs, fmt.Sprintf("GPUs must be from 0 to 64, not %d", j.GPUs))
	}
	if j.Walltime < time.Minute || j.Walltime > 30*24*time.Hour {
		errs = append(errs, fmt.Sprintf("the time limit must be from a minute to 30 days, not %s", j.Walltime))
	}
	if j.DataFolder != "" && !strings.HasPrefix(j.DataFolder, "/") || strings.ContainsAny(j.DataFolder, "\n\x00") {
		errs = append(errs, fmt.Sprintf("the data folder must be an absolute path on the cluster, not %q", j.DataFolder))
	}
	if j.Image == "" || strings.ContainsAny(j.Image, "\n\x00 ") {
		errs = append(errs, fmt.Sprintf("the image %q is not an image reference or a SIF file", j.Image))
	}
	return errs
}

// walltime is SLURM's D-HH:MM:SS.
func walltime(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	return fmt.Sprintf("%d-%02d:%02d:%02d", s/86400, s%86400/3600, s%3600/60, s%60)
}

// quote is a single-quoted shell word.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// Script is the batch script for j, run as the user on the compute node.
// nonce names this start's token file (~/.neurodeskapp/token-NONCE).
func Script(j Job, nonce string) string {
	var b strings.Builder
	b.WriteString("#!/bin/bash\n")
	fmt.Fprintf(&b, "#SBATCH --job-name=%s\n", JobName)
	b.WriteString("#SBATCH --comment=neurodeskapp-session\n")
	fmt.Fprintf(&b, "#SBATCH --output=%s/job-%%j.log\n", StateDir)
	fmt.Fprintf(&b, "#SBATCH --cpus-per-task=%d\n#SBATCH --mem=%dG\n#SBATCH --time=%s\n", j.CPUs, j.MemoryGB, walltime(j.Walltime))
	if j.Partition != "" {
		fmt.Fprintf(&b, "#SBATCH --partition=%s\n", j.Partition)
	}
	if j.Account != "" {
		fmt.Fprintf(&b, "#SBATCH --account=%s\n", j.Account)
	}
	if j.GPUs > 0 {
		fmt.Fprintf(&b, "#SBATCH --gres=gpu:%d\n", j.GPUs)
	}
	// Jupyter ends gracefully on SIGTERM: SLURM sends it 60 s before the end.
	b.WriteString("#SBATCH --signal=B:TERM@60\n")
	fmt.Fprintf(&b, `set -euo pipefail
umask 077
state="$HOME"/%[1]s
token_file="$state"/token-%[2]s
# The token: read once, then gone from the disk.
JUPYTER_TOKEN="$(cat "$token_file")"
rm -f "$token_file"
export JUPYTER_TOKEN
data=%[3]s
data="${data:-$HOME/neurodesktop-storage}"
mkdir -p "$data"
image=%[4]s
# A free port on this node: the kernel picks one.
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])')"
printf '%%s %%s\n' "$(hostname)" "$port" > "$state"/endpoint-"$SLURM_JOB_ID"
args=(jupyter lab --no-browser --ServerApp.ip=0.0.0.0 --ServerApp.port="$port" --ServerApp.password= --ServerApp.quit_button=False)
if command -v apptainer >/dev/null 2>&1; then
  # Into a clean environment only what APPTAINERENV_ names: never on a command line.
  export APPTAINERENV_JUPYTER_TOKEN="$JUPYTER_TOKEN" APPTAINERENV_CVMFS_DISABLE=true
  binds=(--bind "$data":/neurodesktop-storage)
  if [ -d /cvmfs/neurodesk.ardc.edu.au ]; then binds+=(--bind /cvmfs:/cvmfs); fi
  exec apptainer exec --cleanenv "${binds[@]}" "$image" "${args[@]}"
fi
# Rootless Podman, as the app runs it locally: start.sh as root, the person
# mapped to the image's jovyan (1000:100), JupyterLab on 8888 inside.
volumes=(--volume "$data":/neurodesktop-storage)
if [ -d /cvmfs/neurodesk.ardc.edu.au ]; then volumes+=(--volume /cvmfs:/cvmfs:ro); fi
# The shell stays: on SIGTERM (Stop, or the time limit near) it stops the
# container gracefully, and no container outlives the job.
name=neurodeskapp-"$SLURM_JOB_ID"
trap 'podman stop -t 30 "$name" >/dev/null 2>&1' TERM
trap 'podman rm -f "$name" >/dev/null 2>&1' EXIT
podman run --rm --name "$name" --user root --userns=keep-id:uid=1000,gid=100 \
  --env JUPYTER_TOKEN --env CVMFS_DISABLE=true --env NB_UID=1000 --env NB_GID=100 --env GRANT_SUDO=yes \
  --publish "$port":8888 "${volumes[@]}" "${image#docker://}" \
  start.sh jupyter lab --ServerApp.password= --no-browser --expose-app-in-browser --ServerApp.port=8888 --ServerApp.quit_button=False &
running=$!
wait "$running" || wait "$running" # a trapped signal ends the first wait
`, StateDir, nonce, quote(j.DataFolder), quote(j.Image))
	return b.String()
}
