package session

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/neurodesk/neurodeskapp/app/engine"
	"github.com/neurodesk/neurodeskapp/app/problem"
	"github.com/neurodesk/neurodeskapp/internal/fakeengine"
)

func TestCheckSession(t *testing.T) {
	f := fakeengine.New()
	f.LogText = "line 1\nKilled\n"
	m := manager(f, t.TempDir())
	s := Info{ContainerID: "abc", Container: "neurodeskapp"}

	f.Containers["abc"] = engine.Container{ID: "abc", Name: "neurodeskapp", Running: true}
	if ended, err := m.Check(context.Background(), s); ended != nil || err != nil {
		t.Fatalf("a running session: %+v, %v", ended, err)
	}

	f.Containers["abc"] = engine.Container{ID: "abc", Name: "neurodeskapp", Status: "exited", ExitCode: 137, OOMKilled: true}
	ended, err := m.Check(context.Background(), s)
	if err != nil || ended == nil {
		t.Fatalf("an exited session: %+v, %v", ended, err)
	}
	if problem.CodeOf(ended.Err) != problem.ContainerExited || !strings.Contains(ended.Err.Error(), "out of memory") || !strings.Contains(ended.Err.Error(), "137") {
		t.Errorf("says %v", ended.Err)
	}
	if ended.Stopped {
		t.Error("out of memory is not a stop on purpose")
	}
	if b, err := os.ReadFile(ended.LogFile); err != nil || !strings.Contains(string(b), "Killed") || !slices.Contains(ended.LogTail, "Killed") {
		t.Errorf("the log was not kept: %q %v %v", b, err, ended.LogTail)
	}
	if _, ok := f.Containers["abc"]; ok {
		t.Error("the ended container was left; its log is kept, it should go")
	}

	f.Containers["abc"] = engine.Container{ID: "abc", Name: "neurodeskapp", Status: "exited", ExitCode: 1}
	if ended, _ := m.Check(context.Background(), s); ended == nil || ended.Stopped || strings.Contains(ended.Err.Error(), "memory") || !strings.Contains(ended.Err.Error(), "exit code 1") {
		t.Errorf("a plain exit: %+v", ended)
	}

	// docker stop, or neurodeskapp stop from a terminal: not a failure.
	for _, code := range []int{0, 143} {
		f.Containers["abc"] = engine.Container{ID: "abc", Name: "neurodeskapp", Status: "exited", ExitCode: code}
		if ended, _ := m.Check(context.Background(), s); ended == nil || !ended.Stopped {
			t.Errorf("exit code %d: %+v", code, ended)
		}
	}
	delete(f.Containers, "abc")
	if ended, _ := m.Check(context.Background(), s); ended == nil || !ended.Stopped || !strings.Contains(ended.Err.Error(), "gone") {
		t.Errorf("a removed container: %+v", ended)
	}
}
