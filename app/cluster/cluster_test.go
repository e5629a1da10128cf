package cluster

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func goodJob() Job {
	return Job{Partition: "gpu", Account: "neuro-lab", CPUs: 8, MemoryGB: 32, GPUs: 1, Walltime: 8 * time.Hour,
		DataFolder: "/scratch/ana/Studie 1", Image: "docker://vnmd/neurodesktop:2026-11-30"}
}

func TestValidate(t *testing.T) {
	if errs := goodJob().Validate(); len(errs) != 0 {
		t.Errorf("a good job: %q", errs)
	}
	bad := goodJob()
	bad.Partition, bad.CPUs, bad.Walltime, bad.DataFolder = "gpu --uid=0", 0, 0, "data"
	if errs := bad.Validate(); len(errs) != 4 {
		t.Errorf("want four problems, got %q", errs)
	}
	// What Apptainer would read as an option, or as another mount.
	for _, j := range []Job{{Image: "--fakeroot"}, {Image: "nd.sif"}, {Image: "/apps/a,b.sif"}, {DataFolder: "/scratch/ana/a:/etc"}, {DataFolder: "/scratch/x,y"}} {
		job := goodJob()
		if j.Image != "" {
			job.Image = j.Image
		}
		if j.DataFolder != "" {
			job.DataFolder = j.DataFolder
		}
		if errs := job.Validate(); len(errs) != 1 {
			t.Errorf("image %q, data folder %q: %q", job.Image, job.DataFolder, errs)
		}
	}
	for _, image := range []string{"/apps/neurodesk/neurodesktop_2026-09-23.sif", "docker://ghcr.io/neurodesk/neurodesktop:2026-09-23"} {
		job := goodJob()
		job.Image = image
		if errs := job.Validate(); len(errs) != 0 {
			t.Errorf("image %q: %q", image, errs)
		}
	}
}

// TestScript: the resources as SLURM reads them, the job named so that
// squeue finds it, requeued when SLURM must, and the secrets read from
// their file, never written in the script or given on a command line.
func TestScript(t *testing.T) {
	s := Script(goodJob(), "n0nce")
	for _, want := range []string{"#SBATCH --job-name=neurodeskapp\n", "#SBATCH --cpus-per-task=8\n", "#SBATCH --mem=32G\n",
		"#SBATCH --time=0-08:00:00\n", "#SBATCH --partition=gpu\n", "#SBATCH --account=neuro-lab\n", "#SBATCH --gres=gpu:1\n",
		"#SBATCH --requeue\n", "nonce=n0nce", `"$state"/secrets-"$nonce"`, `rm -f "$state"/secrets-"$nonce"`,
		"data='/scratch/ana/Studie 1'", "APPTAINERENV_JUPYTER_TOKEN", "--ServerApp.port_retries=0", `--ServerApp.certfile="$job"/tls.pem`} {
		if !strings.Contains(s, want) {
			t.Errorf("the script lacks %q:\n%s", want, s)
		}
	}
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, "JUPYTER_TOKEN=") && !strings.Contains(line, "export") && !strings.Contains(line, "$(cat") {
			t.Errorf("the token is on a command line: %s", line)
		}
	}
	if runtime.GOOS == "windows" {
		return // bash reads it on the cluster's Linux nodes: checked on Linux
	}
	if out, err := exec.Command("bash", "-n", "-c", s).CombinedOutput(); err != nil {
		t.Errorf("bash does not read the script: %v\n%s", err, out)
	}
}

// node is a stand-in compute node: a home, and programs on PATH.
type node struct {
	t         *testing.T
	home, bin string
}

func newNode(t *testing.T) *node {
	n := &node{t: t, home: t.TempDir(), bin: t.TempDir()}
	os.MkdirAll(filepath.Join(n.home, StateDir), 0o700)
	// Ports the kernel picks, one a call; the node's address for -I.
	n.program("python3", "#!/bin/sh\nn=$(cat \"$HOME/ports-asked\" 2>/dev/null || echo 0); echo $((n+1)) > \"$HOME/ports-asked\"; echo $((43210+n))\n")
	n.program("hostname", "#!/bin/sh\nif [ \"$1\" = -I ]; then echo '10.1.2.7 fd00::7'; else echo node07; fi\n")
	return n
}

func (n *node) program(name, script string) {
	os.WriteFile(filepath.Join(n.bin, name), []byte(script), 0o755)
}

func (n *node) secrets(nonce, content string) {
	os.WriteFile(filepath.Join(n.home, StateDir, "secrets-"+nonce), []byte(content), 0o600)
}

func (n *node) run(job Job, nonce string, env ...string) string {
	n.t.Helper()
	cmd := exec.Command("bash", "-c", Script(job, nonce))
	cmd.Env = append([]string{"HOME=" + n.home, "PATH=" + n.bin + ":/usr/bin:/bin"}, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		n.t.Fatalf("%v\n%s", err, out)
	}
	return string(out)
}

func (n *node) file(rel string) string {
	b, _ := os.ReadFile(filepath.Join(n.home, StateDir, rel))
	return string(b)
}

// jupyter is a stand-in that says what it was given, and then either
// holds its port (its runtime file) or, for the ports in taken, stops as
// Jupyter does when the port is somebody else's.
const jupyter = `
port=${APPTAINERENV_JUPYTER_PORT:-$PODMAN_PORT}
echo "args: $*"
echo "token: ${APPTAINERENV_JUPYTER_TOKEN:-$JUPYTER_TOKEN}"
case " $TAKEN " in *" $port "*) echo "[Errno 98] Address already in use"; exit 1 ;; esac
rt=${APPTAINERENV_JUPYTER_RUNTIME_DIR:-$RUNTIME}
echo '{"port": 8888}' > "$rt/jpserver-1.json"
`

// TestScriptRuns runs the script as a node would, with stand-ins: the
// secrets reach Jupyter through the environment and a private folder
// only, their file is gone, and the job records where Jupyter listens
// once Jupyter holds the port, as the node's address, with this start's name.
func TestScriptRuns(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the script runs on the cluster's Linux nodes; this runs it on Linux")
	}
	n := newNode(t)
	n.program("apptainer", "#!/bin/bash"+jupyter)
	n.secrets("n0nce", "s3cret-token\n-----BEGIN CERTIFICATE-----\nCERT\n-----END CERTIFICATE-----\n")
	job := goodJob()
	job.DataFolder = filepath.Join(n.home, "Studie 1") // made when missing
	out := n.run(job, "n0nce", "SLURM_JOB_ID=77")
	if !strings.Contains(out, "token: s3cret-token") || strings.Contains(strings.SplitN(out, "\n", 2)[0], "s3cret") {
		t.Errorf("the token did not arrive through the environment alone:\n%s", out)
	}
	if strings.Contains(strings.SplitN(out, "\n", 2)[0], "43210") {
		t.Errorf("the port is on Jupyter's command line, where other users of the node see it:\n%s", out)
	}
	for _, want := range []string{"run --cleanenv --home " + n.home + "/.neurodeskapp/home:/home/jovyan", "--bind " + job.DataFolder + ":/neurodesktop-storage",
		"docker://vnmd/neurodesktop:2026-11-30 jupyter lab", "--ServerApp.port_retries=0",
		"--ServerApp.certfile=" + n.home + "/.neurodeskapp/job-77/tls.pem"} {
		if !strings.Contains(out, want) {
			t.Errorf("apptainer was run without %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(n.home, StateDir, "secrets-n0nce")); !os.IsNotExist(err) {
		t.Error("the secrets file stays on the cluster's disk")
	}
	if got := n.file("job-77/tls.pem"); !strings.Contains(got, "CERT") || strings.Contains(got, "s3cret") {
		t.Errorf("the job's certificate file holds %q", got)
	}
	if fi, err := os.Stat(filepath.Join(n.home, StateDir, "job-77")); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("the job's folder: %v %v", fi, err)
	}
	if got := n.file("job-77/endpoint"); got != "n0nce 10.1.2.7 43210\n" {
		t.Errorf("the endpoint file says %q", got)
	}
	if fi, err := os.Stat(job.DataFolder); err != nil || !fi.IsDir() {
		t.Errorf("the data folder was not made: %v", err)
	}

	// Somebody else took the first port: Jupyter stops, another is tried,
	// and only the one Jupyter holds is recorded.
	n.secrets("n1", "s3cret-2\n")
	out = n.run(job, "n1", "SLURM_JOB_ID=79", "TAKEN=43211")
	if got := n.file("job-79/endpoint"); got != "n1 10.1.2.7 43212\n" || !strings.Contains(out, "could not start (attempt 1; port 43211)") {
		t.Errorf("with port 43211 taken the endpoint says %q:\n%s", got, out)
	}

	// Requeued, the job starts again with its own secrets (their file is
	// long gone); a job id seen before, but not requeued, is not trusted.
	out = n.run(job, "n1", "SLURM_JOB_ID=79", "SLURM_RESTART_COUNT=1")
	if !strings.Contains(out, "token: s3cret-2") || !strings.HasPrefix(n.file("job-79/endpoint"), "n1 ") {
		t.Errorf("a requeued job:\n%s", out)
	}
	os.WriteFile(filepath.Join(n.home, StateDir, "job-79", "token"), []byte("an old job's\n"), 0o600)
	n.secrets("n2", "s3cret-3\n")
	if out = n.run(job, "n2", "SLURM_JOB_ID=79"); !strings.Contains(out, "token: s3cret-3") {
		t.Errorf("a reused job id took the old job's folder:\n%s", out)
	}

	// A node without Apptainer runs the image with rootless Podman, as
	// the app does locally: entered through start.sh as root, the person
	// mapped to jovyan (1000:100), the token passed on from the environment.
	os.Remove(filepath.Join(n.bin, "apptainer"))
	// Podman picks the port as it takes it; `podman port` says which.
	n.program("podman", "#!/bin/bash\ncase \"$1\" in port) echo 0.0.0.0:40999; exit 0 ;; run) ;; *) exit 0 ;; esac\n"+
		"PODMAN_PORT=40999\nRUNTIME=$(for a in \"$@\"; do case \"$a\" in JUPYTER_RUNTIME_DIR=*) echo ${a#*=};; esac; done)"+jupyter)
	n.secrets("n3", "s3cret-token\n")
	out = n.run(job, "n3", "SLURM_JOB_ID=78")
	args := strings.SplitN(out, "\n", 2)[0]
	for _, want := range []string{"run --rm --name neurodeskapp-78 --user root --userns=keep-id:uid=1000,gid=100", "--env JUPYTER_TOKEN ",
		"--env NB_UID=1000 --env NB_GID=100", "--publish 8888 ", "--volume " + job.DataFolder + ":/neurodesktop-storage",
		"vnmd/neurodesktop:2026-11-30 start.sh jupyter lab", "--ServerApp.port=8888", "--ServerApp.certfile=" + n.home + "/.neurodeskapp/job-78/tls.pem"} {
		if !strings.Contains(args, want) {
			t.Errorf("podman was run without %q:\n%s", want, args)
		}
	}
	if strings.Contains(args, "s3cret") || !strings.Contains(out, "token: s3cret-token") {
		t.Errorf("the token did not reach podman through the environment alone:\n%s", out)
	}
	if got := n.file("job-78/endpoint"); got != "n3 10.1.2.7 40999\n" {
		t.Errorf("the endpoint file says %q", got)
	}
}

func TestParseQueue(t *testing.T) {
	out := "101|PENDING|Resources|2026-12-04T18:30:00|(null)|8:00:00\n102|RUNNING|None|2026-12-04T10:00:00|node07|1-02:03:04\n"
	jobs, err := ParseQueue(out)
	if err != nil || len(jobs) != 2 {
		t.Fatalf("%+v %v", jobs, err)
	}
	if j := jobs[0]; j.ID != "101" || j.State != "PENDING" || j.Node != "" || j.TimeLeft != 8*time.Hour || j.Start.Hour() != 18 {
		t.Errorf("pending job %+v", j)
	}
	if j := jobs[1]; j.Node != "node07" || j.TimeLeft != 26*time.Hour+3*time.Minute+4*time.Second {
		t.Errorf("running job %+v", j)
	}
	if _, err := ParseQueue("garbage"); err == nil {
		t.Error("garbage read as a queue")
	}
	if jobs, err := ParseQueue(""); err != nil || len(jobs) != 0 {
		t.Errorf("an empty queue: %+v %v", jobs, err)
	}
	now := time.Date(2026, 12, 4, 17, 0, 0, 0, time.Local)
	if w := jobs[0].Waiting(now); !strings.Contains(w, "in use") || !strings.Contains(w, "90 minutes") {
		t.Errorf("waiting says %q", w)
	}
	if w := (Queued{State: "PENDING", Reason: "None"}).Waiting(now); w != "Waiting in the queue: SLURM has not scheduled it yet." {
		t.Errorf("a job just submitted waits as %q", w)
	}
	if w := (Queued{State: "PENDING", Reason: "JobHeldAdmin"}).Waiting(now); w != "Waiting in the queue: SLURM says: JobHeldAdmin." {
		t.Errorf("an unknown reason is said as %q", w)
	}
}

func TestParseSubmitted(t *testing.T) {
	for in, want := range map[string]string{"4242\n": "4242", "4242;hpc\n": "4242"} {
		if got, err := ParseSubmitted(in); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	if _, err := ParseSubmitted("sbatch: error: invalid partition"); err == nil {
		t.Error("an error read as a job id")
	}
}
