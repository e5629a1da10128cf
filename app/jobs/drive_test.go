package jobs

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/neurodesk/neurodeskapp/app/engine"
)

// fakeEngine keeps containers by name; a test moves them along.
type fakeEngine struct {
	mu         sync.Mutex
	containers map[string]*engine.Container
	started    []string
	removed    []string
}

func (f *fakeEngine) CreateContainer(ctx context.Context, s engine.ContainerSpec) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.containers[s.Name] != nil {
		return "", errors.New("Conflict. The container name is already in use")
	}
	f.containers[s.Name] = &engine.Container{ID: s.Name, Name: s.Name, Labels: s.Labels, Status: "created"}
	return s.Name, nil
}
func (f *fakeEngine) StartContainer(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.containers[id].Running, f.containers[id].Status = true, "running"
	f.started = append(f.started, id)
	return nil
}
func (f *fakeEngine) InspectContainer(_ context.Context, id string) (engine.Container, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c := f.containers[id]; c != nil {
		return *c, nil
	}
	return engine.Container{}, errors.New("Error: No such container: " + id)
}
func (f *fakeEngine) StopContainer(_ context.Context, id string, _ time.Duration) error {
	f.exit(id, 143)
	return nil
}
func (f *fakeEngine) RemoveContainer(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.containers, id)
	f.removed = append(f.removed, id)
	return nil
}
func (f *fakeEngine) Logs(context.Context, string, string, bool, io.Writer) error { return nil }
func (f *fakeEngine) exit(id string, code int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c := f.containers[id]; c != nil {
		c.Running, c.Status, c.ExitCode = false, "exited", code
	}
}

func drivenJob(t *testing.T, runs int) (*Local, *fakeEngine, Job) {
	t.Helper()
	data := t.TempDir()
	nb, _ := os.ReadFile("testdata/analysis.ipynb")
	os.WriteFile(filepath.Join(data, "analysis.ipynb"), nb, 0o644)
	sets := make([]Set, runs)
	for i := range sets {
		sets[i] = Set{"subject": "0" + string(rune('1'+i))}
	}
	j, err := NewJob(Request{Notebook: filepath.Join(data, "analysis.ipynb"), DataFolder: data, Sets: sets, AtOnce: 2, Image: "img:1", Digest: "img@sha256:ab", Engine: "engine-a"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeEngine{containers: map[string]*engine.Container{}}
	l := &Local{Engine: f, Store: Store{Dir: t.TempDir()}, EngineID: "engine-a", Poll: 10 * time.Millisecond}
	if err := l.Store.Save(j); err != nil {
		t.Fatal(err)
	}
	return l, f, j
}

// TestDrivingAJob: runs start at most AtOnce at a time; a cut-short start
// leaves its run waiting, not failed; a cancel recorded by another process
// stays; looking changes nothing; another engine does not drive it.
func TestDrivingAJob(t *testing.T) {
	l, f, j := drivenJob(t, 3)
	cut, cancel := context.WithCancel(context.Background())
	cancel()
	if j2, _ := l.StartSome(cut, j); j2.Counts()[Pending] != 3 {
		t.Fatalf("a cut-short start changed the runs: %+v", j2.Counts())
	}
	j, err := l.StartSome(context.Background(), j)
	if err != nil || j.Counts()[Running] != 2 || len(f.started) != 2 {
		t.Fatalf("started %v, counts %v, %v", f.started, j.Counts(), err)
	}

	// Another process cancels the job; this driver's copy still says
	// pending for the third run, which must not start.
	other := *l
	if _, err := other.Cancel(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	j, _ = l.StartSome(context.Background(), j)
	if j.Counts()[Cancelled] != 3 || len(f.started) != 2 {
		t.Errorf("after a cancel elsewhere: %v, started %v", j.Counts(), f.started)
	}

	// Looking at a job whose run ended records nothing and removes nothing.
	l2, f2, j2 := drivenJob(t, 1)
	j2, _ = l2.StartSome(context.Background(), j2)
	f2.exit(j2.Runs[0].Container, 0)
	seen := l2.Look(context.Background(), j2)
	if seen.Runs[0].State != Succeeded || len(f2.removed) != 0 {
		t.Errorf("look: %s, removed %v", seen.Runs[0].State, f2.removed)
	}
	if disk, _ := l2.Store.Load(j2.ID); disk.Runs[0].State != Running {
		t.Errorf("a look changed the record: %s", disk.Runs[0].State)
	}
	// A window on another engine neither drives nor fails it.
	elsewhere := *l2
	elsewhere.EngineID = "engine-b"
	if _, err := elsewhere.Drive(context.Background(), j2); err == nil {
		t.Error("another engine drove the job")
	}
	if got := elsewhere.Look(context.Background(), j2); got.Runs[0].State != Running {
		t.Errorf("another engine's look says %s", got.Runs[0].State)
	}
	done, err := l2.Drive(context.Background(), j2)
	if err != nil || done.Runs[0].State != Succeeded || len(f2.removed) != 1 {
		t.Errorf("drive to the end: %s %v, removed %v", done.Runs[0].State, err, f2.removed)
	}
}

// TestCancelRemovesWhatNeverStarted: a run whose container was made but
// not started (its driver died in between) is removed by Cancel, never
// started.
func TestCancelRemovesWhatNeverStarted(t *testing.T) {
	l, f, j := drivenJob(t, 1)
	spec, _ := l.Spec(j, 0)
	f.CreateContainer(context.Background(), spec)
	j.Runs[0].State, j.Runs[0].Container = Running, spec.Name
	l.Store.Save(j)
	j, err := l.Cancel(context.Background(), j)
	if err != nil || j.Runs[0].State != Cancelled || len(f.started) != 0 || len(f.removed) != 1 {
		t.Errorf("cancel: %s %v, started %v, removed %v", j.Runs[0].State, err, f.started, f.removed)
	}
}
