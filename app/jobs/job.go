package jobs

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/neurodesk/neurodeskapp/app/atomicfile"
)

// Job is one submission: a notebook, its runs' values, where and with
// which image they run. It is saved in the app's state folder and updated
// as its runs go, so that a job outlives the app that started it.
type Job struct {
	ID        string    `json:"id"`
	Submitted time.Time `json:"submitted"`
	// Notebook is the input, by its path on this computer, and by its path
	// inside the data folder (how the container sees it).
	Notebook     string `json:"notebook"`
	NotebookRel  string `json:"notebook_in_data_folder"`
	NotebookHash string `json:"notebook_sha256"`
	DataFolder   string `json:"data_folder"`
	// Image is what the runs run, pinned: the reference a person knows and
	// the digest (or, for an image no registry holds, its id).
	Image       string `json:"image"`
	ImageDigest string `json:"image_digest"`
	Version     string `json:"version,omitempty"`
	Where       string `json:"where"` // "local"
	// Engine is the engine's own id: its runs are containers there.
	Engine    string    `json:"engine,omitempty"`
	Resources Resources `json:"resources"`
	// AtOnce is how many runs go at the same time.
	AtOnce int    `json:"at_once"`
	Note   string `json:"note,omitempty"` // said once at submission (no parameters cell, say)
	Runs   []Run  `json:"runs"`
	// RerunOf names the job this one runs again.
	RerunOf string `json:"rerun_of,omitempty"`
}

// Resources limit each run.
type Resources struct {
	CPUs     float64 `json:"cpus,omitempty"`
	MemoryGB float64 `json:"memory_gb,omitempty"`
}

// State is a run's, or a job's, state.
type State string

const (
	Pending   State = "pending"
	Running   State = "running"
	Succeeded State = "succeeded"
	Failed    State = "failed"
	Cancelled State = "cancelled"
)

// Done says the state will not change.
func (s State) Done() bool { return s == Succeeded || s == Failed || s == Cancelled }

// Run is one execution of the notebook with one set of values.
type Run struct {
	Index     int            `json:"index"`
	Values    map[string]any `json:"values"`
	Set       Set            `json:"set,omitempty"` // as given, for a rerun
	State     State          `json:"state"`
	Container string         `json:"container,omitempty"`
	Output    string         `json:"output"` // the executed notebook, on this computer
	Started   time.Time      `json:"started,omitzero"`
	Ended     time.Time      `json:"ended,omitzero"`
	ExitCode  *int           `json:"exit_code,omitempty"`
	Progress  Progress       `json:"progress"`
	Reason    string         `json:"reason,omitempty"` // why it failed, for a person
	Host      string         `json:"host,omitempty"`
	// NotebookHash is the notebook's SHA-256 as this run found it.
	NotebookHash string `json:"notebook_sha256,omitempty"`
}

// RunID names a run in file names: the job's id, and the run's number
// where the job has more than one.
func (j Job) RunID(i int) string {
	if len(j.Runs) == 1 {
		return j.ID
	}
	return fmt.Sprintf("%s-%0*d", j.ID, len(fmt.Sprint(len(j.Runs)-1)), i)
}

// State is the job's: running while any run is not done; then failed if
// any failed, cancelled if any was, else succeeded.
func (j Job) State() State {
	counts := j.Counts()
	switch {
	case counts[Running] > 0:
		return Running
	case counts[Pending] > 0:
		return Pending
	case counts[Failed] > 0:
		return Failed
	case counts[Cancelled] > 0:
		return Cancelled
	}
	return Succeeded
}

// Counts are the job's runs by state.
func (j Job) Counts() map[State]int {
	c := map[State]int{}
	for _, r := range j.Runs {
		c[r.State]++
	}
	return c
}

// NewID is a job id: when it was submitted, and 4 random hex digits.
func NewID(now time.Time) string {
	b := make([]byte, 2)
	_, _ = rand.Read(b) // crypto/rand does not fail
	return now.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b)
}

var validID = regexp.MustCompile(`^[0-9]{8}-[0-9]{6}-[0-9a-f]{4}$`)

// Store keeps jobs as one JSON file each in a folder of the app's state.
type Store struct{ Dir string }

// StoreIn is the jobs' folder in the app's state folder.
func StoreIn(stateDir string) Store { return Store{Dir: filepath.Join(stateDir, "jobs")} }

func (s Store) path(id string) (string, error) {
	if !validID.MatchString(id) {
		return "", fmt.Errorf("%q is not a job id (such as 20261207-130501-3fa2)", id)
	}
	return filepath.Join(s.Dir, id+".json"), nil
}

// Save writes the job atomically.
func (s Store) Save(j Job) error {
	p, err := s.path(j.ID)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return fmt.Errorf("save job %s: %w", j.ID, err)
	}
	if err := atomicfile.Write(p, b, 0o600); err != nil {
		return fmt.Errorf("save job %s: %w", j.ID, err)
	}
	return nil
}

// ErrNoJob is a job id this computer has no record of.
var ErrNoJob = errors.New("no such job")

// Load reads one job. A record that cannot be read is set aside (kept,
// renamed) and reported, never deleted.
func (s Store) Load(id string) (Job, error) {
	p, err := s.path(id)
	if err != nil {
		return Job{}, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return Job{}, fmt.Errorf("job %s: %w", id, ErrNoJob)
	}
	if err != nil {
		return Job{}, fmt.Errorf("read job %s: %w", id, err)
	}
	var j Job
	if err := json.Unmarshal(b, &j); err != nil || j.ID != id {
		aside, _ := atomicfile.SetAside(p, time.Now().UTC().Format("20060102T150405"))
		return Job{}, fmt.Errorf("the record of job %s could not be read; it is kept as %s", id, aside)
	}
	return j, nil
}

// List reads every job, newest first; records that cannot be read are set
// aside and named in the error, the others still returned.
func (s Store) List() ([]Job, error) {
	entries, err := os.ReadDir(s.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	var jobs []Job
	var errs []error
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || !validID.MatchString(id) {
			continue
		}
		j, err := s.Load(id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		jobs = append(jobs, j)
	}
	sort.Slice(jobs, func(a, b int) bool { return jobs[a].ID > jobs[b].ID })
	return jobs, errors.Join(errs...)
}
