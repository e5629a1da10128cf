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

// imageRef is what Apptainer runs: a registry's image (docker://, oras://,
// library://) or a SIF file by its absolute path; never something that
// Apptainer would take for an option.
var imageRef = regexp.MustCompile(`^((docker|oras|library)://[A-Za-z0-9][^\s\x00]*|/[^\s\x00]+)$`)

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
	// Apptainer's --bind and Podman's --volume read ',' and ':' in a path
	// as the start of another mount or of its options.
	if j.DataFolder != "" && !strings.HasPrefix(j.DataFolder, "/") || strings.ContainsAny(j.DataFolder, "\n\x00,:") {
		errs = append(errs, fmt.Sprintf("the data folder must be an absolute path on the cluster without ',' or ':', not %q", j.DataFolder))
	}
	if !imageRef.MatchString(j.Image) || strings.HasPrefix(j.Image, "/") && strings.ContainsAny(j.Image, ",:") {
		errs = append(errs, fmt.Sprintf("the image %q is not an image reference (docker://…) or a SIF file's absolute path", j.Image))
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
// nonce names this start: its secrets file (~/.neurodeskapp/secrets-NONCE)
// and the endpoint its job records.
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
	b.WriteString("#SBATCH --requeue\n")
	fmt.Fprintf(&b, `set -euo pipefail
umask 077
state="$HOME"/%[1]s
nonce=%[2]s
# This job's own folder: its token, the TLS certificate and key its Jupyter
# serves, Jupyter's runtime files, and where it listens. A folder left by an
# earlier job with the same id is not this one's; a requeued job keeps its own.
job="$state"/job-"$SLURM_JOB_ID"
if [ "${SLURM_RESTART_COUNT:-0}" = 0 ]; then
  rm -rf "$job"
  mkdir -m 700 "$job"
  # The start's secrets (the token, then the certificate and key): read once, then gone.
  { IFS= read -r token; cat > "$job"/tls.pem; } < "$state"/secrets-"$nonce"
  rm -f "$state"/secrets-"$nonce"
  printf '%%s\n' "$token" > "$job"/token
fi
JUPYTER_TOKEN="$(cat "$job"/token)"
export JUPYTER_TOKEN
data=%[3]s
data="${data:-$HOME/neurodesktop-storage}"
mkdir -p "$data"
image=%[4]s
runtime="$job"/runtime
rm -rf "$runtime" "$job"/endpoint
mkdir -m 700 "$runtime"
# The node's address, as the login node reaches it (not a name that may
# resolve elsewhere there).
addr="$(hostname -I 2>/dev/null | awk '{print $1}')"
addr="${addr:-$(hostname)}"
# Jupyter never moves to another port (port_retries=0): one taken by
# somebody else makes it stop, and another is tried. Nothing is recorded
# before Jupyter holds its port. Its TLS certificate is
# the app's proof that it is this job's Jupyter.
lab=(--no-browser --expose-app-in-browser --ServerApp.password= --ServerApp.quit_button=False --ServerApp.port_retries=0
  --ServerApp.certfile="$job"/tls.pem)
running=
trap 'if [ -n "$running" ]; then kill -TERM "$running" 2>/dev/null; fi' TERM
for attempt in 1 2 3 4 5; do
  if command -v apptainer >/dev/null 2>&1; then
    # A free port on this node: the kernel picks one. It reaches Jupyter
    # through the environment (JUPYTER_PORT), which other users cannot
    # read, not on its command line, which they can.
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])')"
    # The image's own way in (its entrypoint, start.sh and its hooks) as
    # the person, with a home of the app's own at /home/jovyan: the hooks
    # edit dotfiles, never those of the person's cluster home. Into a clean
    # environment only what APPTAINERENV_ names: never on a command line.
    home="$state"/home
    mkdir -p "$home"
    export APPTAINERENV_JUPYTER_TOKEN="$JUPYTER_TOKEN" APPTAINERENV_JUPYTER_RUNTIME_DIR="$runtime" APPTAINERENV_CVMFS_DISABLE=true \
      APPTAINERENV_JUPYTER_PORT="$port" \
      APPTAINERENV_NEURODESKTOP_PRINT_ACCESS_URL=0
    binds=(--bind "$data":/neurodesktop-storage --bind "$job")
    if [ -d /cvmfs/neurodesk.ardc.edu.au ]; then binds+=(--bind /cvmfs:/cvmfs); fi
    apptainer run --cleanenv --home "$home":/home/jovyan "${binds[@]}" "$image" \
      jupyter lab --ServerApp.ip=0.0.0.0 "${lab[@]}" &
  else
    # Rootless Podman, as the app runs it locally: start.sh as root, the
    # person mapped to the image's jovyan (1000:100), JupyterLab on 8888
    # inside, published on a port Podman takes as it picks it.
    volumes=(--volume "$data":/neurodesktop-storage --volume "$job":"$job")
    if [ -d /cvmfs/neurodesk.ardc.edu.au ]; then volumes+=(--volume /cvmfs:/cvmfs:ro); fi
    name=neurodeskapp-"$SLURM_JOB_ID"
    podman rm -f "$name" >/dev/null 2>&1 || true
    podman run --rm --name "$name" --user root --userns=keep-id:uid=1000,gid=100 \
      --env JUPYTER_TOKEN --env JUPYTER_RUNTIME_DIR="$runtime" --env CVMFS_DISABLE=true --env NB_UID=1000 --env NB_GID=100 \
      --env NEURODESKTOP_PRINT_ACCESS_URL=0 \
      --publish 8888 "${volumes[@]}" "${image#docker://}" \
      start.sh jupyter lab --ServerApp.port=8888 "${lab[@]}" &
    # The shell stays: on SIGTERM it stops the container gracefully, and no
    # container outlives the job.
    trap 'podman stop -t 30 "$name" >/dev/null 2>&1' TERM
    trap 'podman rm -f "$name" >/dev/null 2>&1' EXIT
  fi
  running=$!
  # Recorded only once Jupyter itself holds the port: its runtime file.
  while kill -0 "$running" 2>/dev/null && ! ls "$runtime"/jpserver-*.json >/dev/null 2>&1; do sleep 0.5; done
  if ls "$runtime"/jpserver-*.json >/dev/null 2>&1; then
    if ! command -v apptainer >/dev/null 2>&1; then
      port="$(podman port "$name" 8888 | head -n 1)"
      port="${port##*:}"
    fi
    printf '%%s %%s %%s\n' "$nonce" "$addr" "$port" > "$job"/endpoint.new
    mv "$job"/endpoint.new "$job"/endpoint
    break
  fi
  echo "neurodeskapp: Jupyter could not start (attempt $attempt; port $port); another port is tried" >&2
  wait "$running" || true
  running=
done
if [ -z "$running" ]; then
  echo "neurodeskapp: Jupyter did not start" >&2
  exit 1
fi
wait "$running" || wait "$running" # a trapped signal ends the first wait
`, StateDir, nonce, quote(j.DataFolder), quote(j.Image))
	return b.String()
}
