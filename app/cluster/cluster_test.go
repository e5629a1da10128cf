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
}

// TestScript: the resources as SLURM reads them, the job named so that
// squeue finds it, and the token read from its file, never written in the
// script or given on a command line.
func TestScript(t *testing.T) {
	s := Script(goodJob(), "n0nce")
	for _, want := range []string{"#SBATCH --job-name=neurodeskapp\n", "#SBATCH --cpus-per-task=8\n", "#SBATCH --mem=32G\n",
		"#SBATCH --time=0-08:00:00\n", "#SBATCH --partition=gpu\n", "#SBATCH --account=neuro-lab\n", "#SBATCH --gres=gpu:1\n",
		`token_file="$state"/token-n0nce`, `rm -f "$token_file"`, "data='/scratch/ana/Studie 1'", "APPTAINERENV_JUPYTER_TOKEN"} {
		if !strings.Contains(s, want) {
			t.Errorf("the script lacks %q:\n%s", want, s)
		}
	}
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, "exec ") && strings.Contains(line, "JUPYTER_TOKEN=") {
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

// TestScriptRuns runs the script as a node would, with stand-ins for
// apptainer and python3: the token reaches the program through the
// environment only, its file is gone, and the job says where it listens.
func TestScriptRuns(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the script runs on the cluster's Linux nodes; this runs it on Linux")
	}
	home, bin := t.TempDir(), t.TempDir()
	os.MkdirAll(filepath.Join(home, StateDir), 0o700)
	os.WriteFile(filepath.Join(home, StateDir, "token-n0nce"), []byte("s3cret-token"), 0o600)
	os.WriteFile(filepath.Join(bin, "python3"), []byte("#!/bin/sh\necho 43210\n"), 0o755)
	os.WriteFile(filepath.Join(bin, "hostname"), []byte("#!/bin/sh\necho node07\n"), 0o755)
	os.WriteFile(filepath.Join(bin, "apptainer"), []byte("#!/bin/sh\necho \"args: $*\"\necho \"token: $APPTAINERENV_JUPYTER_TOKEN\"\n"), 0o755)
	job := goodJob()
	job.DataFolder = filepath.Join(home, "Studie 1") // made when missing
	cmd := exec.Command("bash", "-c", Script(job, "n0nce"))
	cmd.Env = []string{"HOME=" + home, "PATH=" + bin + ":/usr/bin:/bin", "SLURM_JOB_ID=77"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(string(out), "token: s3cret-token") || strings.Contains(strings.SplitN(string(out), "\n", 2)[0], "s3cret") {
		t.Errorf("the token did not arrive through the environment alone:\n%s", out)
	}
	if !strings.Contains(string(out), "--bind "+job.DataFolder+":/neurodesktop-storage") || !strings.Contains(string(out), "--ServerApp.port=43210") {
		t.Errorf("apptainer was run with:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(home, StateDir, "token-n0nce")); !os.IsNotExist(err) {
		t.Error("the token file stays on the cluster's disk")
	}
	if b, _ := os.ReadFile(filepath.Join(home, StateDir, "endpoint-77")); string(b) != "node07 43210\n" {
		t.Errorf("the endpoint file says %q", b)
	}
	if fi, err := os.Stat(job.DataFolder); err != nil || !fi.IsDir() {
		t.Errorf("the data folder was not made: %v", err)
	}

	// A node without Apptainer runs the image with rootless Podman, as
	// the app does locally: entered through start.sh as root, the person
	// mapped to jovyan (1000:100), the token passed on from the environment.
	os.Remove(filepath.Join(bin, "apptainer"))
	os.WriteFile(filepath.Join(bin, "podman"), []byte("#!/bin/sh\necho \"args: $*\"\necho \"token: $JUPYTER_TOKEN\"\n"), 0o755)
	os.WriteFile(filepath.Join(home, StateDir, "token-n0nce"), []byte("s3cret-token"), 0o600)
	cmd = exec.Command("bash", "-c", Script(job, "n0nce"))
	cmd.Env = []string{"HOME=" + home, "PATH=" + bin + ":/usr/bin:/bin", "SLURM_JOB_ID=78"}
	out, err = cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	args := strings.SplitN(string(out), "\n", 2)[0]
	for _, want := range []string{"run --rm --name neurodeskapp-78 --user root --userns=keep-id:uid=1000,gid=100", "--env JUPYTER_TOKEN ",
		"--env NB_UID=1000 --env NB_GID=100", "--publish 43210:8888", "--volume " + job.DataFolder + ":/neurodesktop-storage",
		"vnmd/neurodesktop:2026-11-30 start.sh jupyter lab", "--ServerApp.port=8888"} {
		if !strings.Contains(args, want) {
			t.Errorf("podman was run without %q:\n%s", want, args)
		}
	}
	if strings.Contains(args, "s3cret") || !strings.Contains(string(out), "token: s3cret-token") {
		t.Errorf("the token did not reach podman through the environment alone:\n%s", out)
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
