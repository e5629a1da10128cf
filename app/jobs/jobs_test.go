package jobs

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/neurodesk/neurodeskapp/app/engine"
)

func TestParametersOfTheTaggedCell(t *testing.T) {
	b, err := os.ReadFile("testdata/analysis.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	params, found, err := Parameters(b)
	if err != nil || !found {
		t.Fatalf("found %v, err %v", found, err)
	}
	want := map[string]Kind{"subject": KindStr, "threshold": KindFloat, "iterations": KindInt, "smooth": KindBool, "rois": KindOther, "note": KindNone}
	if len(params) != len(want) {
		t.Fatalf("params %+v", params)
	}
	for _, p := range params {
		if want[p.Name] != p.Kind {
			t.Errorf("%s: kind %s, want %s", p.Name, p.Kind, want[p.Name])
		}
	}
	if params[0].Default != `"01"` {
		t.Errorf("subject's default %q: the comment must not be part of it", params[0].Default)
	}
	if _, found, _ := Parameters([]byte(`{"cells":[{"cell_type":"code","source":"x = 1","metadata":{}}]}`)); found {
		t.Error("a notebook without a parameters cell has one")
	}
	if _, _, err := Parameters([]byte("not json")); err == nil {
		t.Error("a file that is no notebook is read")
	}
}

func TestValuesAreCheckedAgainstTheirTypes(t *testing.T) {
	b, _ := os.ReadFile("testdata/analysis.ipynb")
	params, found, _ := Parameters(b)
	v, err := Values(params, found, Set{"threshold": "0.8", "iterations": "5", "smooth": "no", "rois": `["lh"]`, "note": "7"}, Set{"subject": "02"})
	if err != nil {
		t.Fatal(err)
	}
	if v["threshold"] != 0.8 || v["iterations"] != int64(5) || v["smooth"] != false || v["subject"] != "02" || v["note"] != int64(7) {
		t.Errorf("values %#v", v)
	}
	if _, err := Values(params, found, Set{"iterations": "many", "smoth": "1"}, nil); err == nil ||
		!strings.Contains(err.Error(), "iterations takes a whole number") || !strings.Contains(err.Error(), `no parameter "smoth"`) {
		t.Errorf("bad values: %v", err)
	}
	// Without a parameters cell any name goes, as papermill takes it.
	if v, err := Values(nil, false, Set{"anything": "3"}, nil); err != nil || v["anything"] != int64(3) {
		t.Errorf("%v %v", v, err)
	}
}

func TestProgressOfAnExecutedNotebook(t *testing.T) {
	nb := `{"cells":[
	 {"cell_type":"markdown","source":"x","metadata":{}},
	 {"cell_type":"code","source":"subject = 'bad'","metadata":{"tags":["injected-parameters"],"papermill":{"status":"completed"}},"outputs":[]},
	 {"cell_type":"code","source":"a","metadata":{"papermill":{"status":"completed"}},"outputs":[]},
	 {"cell_type":"code","source":"b","metadata":{"papermill":{"status":"failed"}},"outputs":[
	   {"output_type":"error","ename":"ValueError","evalue":"subject bad has no T1w","traceback":["\u001b[0;31mValueError\u001b[0m: subject bad has no T1w"]}]},
	 {"cell_type":"code","source":"c","metadata":{"papermill":{"status":"pending"}},"outputs":[]}]}`
	p, err := ReadProgress([]byte(nb))
	if err != nil {
		t.Fatal(err)
	}
	if p.Done != 1 || p.Total != 3 || p.Failed == nil || p.Failed.Cell != 2 || p.Failed.Name != "ValueError" ||
		p.Failed.Traceback != "ValueError: subject bad has no T1w" {
		t.Errorf("progress %+v %+v", p, p.Failed)
	}
}

func TestTablesAndSubjects(t *testing.T) {
	dir := t.TempDir()
	csvFile := filepath.Join(dir, "subjects.csv")
	os.WriteFile(csvFile, []byte("\ufeffsubject,threshold\n01,0.5\n02,\"0.7\"\n"), 0o644)
	sets, err := ReadTable(csvFile)
	if err != nil || len(sets) != 2 || sets[1]["subject"] != "02" || sets[1]["threshold"] != "0.7" {
		t.Fatalf("%v %v", sets, err)
	}
	tsv := filepath.Join(dir, "subjects.tsv")
	os.WriteFile(tsv, []byte("subject\tthreshold\n03\t1\n"), 0o644)
	if sets, err := ReadTable(tsv); err != nil || sets[0]["subject"] != "03" {
		t.Fatalf("tsv: %v %v", sets, err)
	}
	for content, want := range map[string]string{"": "is empty", "subject\n": "no rows", "sub ject\n1\n": "not a parameter's name"} {
		os.WriteFile(csvFile, []byte(content), 0o644)
		if _, err := ReadTable(csvFile); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("table %q: %v, want %q", content, err, want)
		}
	}
	// 10,000 subjects are a big study, not a mistake.
	var b strings.Builder
	b.WriteString("subject\n")
	for i := range 10000 {
		b.WriteString(strings.Repeat("0", 5) + string(rune('0'+i%10)) + "\n")
	}
	os.WriteFile(csvFile, []byte(b.String()), 0o644)
	if sets, err := ReadTable(csvFile); err != nil || len(sets) != 10000 {
		t.Errorf("10,000 rows: %d %v", len(sets), err)
	}

	bids := filepath.Join(dir, "bids")
	if _, err := Subjects(bids); err == nil || !strings.Contains(err.Error(), "not a BIDS dataset") {
		t.Errorf("no dataset: %v", err)
	}
	os.MkdirAll(filepath.Join(bids, "sub-02", "anat"), 0o755)
	os.MkdirAll(filepath.Join(bids, "sub-01"), 0o755)
	os.MkdirAll(filepath.Join(bids, "derivatives"), 0o755)
	os.WriteFile(filepath.Join(bids, "sub-03"), nil, 0o644) // a file, not a subject
	os.WriteFile(filepath.Join(bids, "dataset_description.json"), []byte(`{"Name":"x","BIDSVersion":"1.9.0"}`), 0o644)
	sets, err = Subjects(bids)
	if err != nil || len(sets) != 2 || sets[0][SubjectParam] != "01" || sets[1][SubjectParam] != "02" {
		t.Errorf("subjects %v %v", sets, err)
	}
}

func TestNewJobInsideTheDataFolder(t *testing.T) {
	data := t.TempDir()
	nb, _ := os.ReadFile("testdata/analysis.ipynb")
	os.MkdirAll(filepath.Join(data, "study"), 0o755)
	in := filepath.Join(data, "study", "analysis.ipynb")
	os.WriteFile(in, nb, 0o644)
	now := time.Date(2026, 12, 7, 13, 5, 1, 0, time.UTC)
	j, err := NewJob(Request{Notebook: in, DataFolder: data, Sets: []Set{{"subject": "01"}, {"subject": "02"}, {"subject": "bad"}}, AtOnce: 2,
		Image: "ghcr.io/neurodesk/neurodesktop:2026-09-23", Digest: "ghcr.io/neurodesk/neurodesktop@sha256:abc"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if j.NotebookRel != "study/analysis.ipynb" || len(j.Runs) != 3 || j.Runs[2].Output != filepath.Join(data, "study", "analysis."+j.ID+"-2.ipynb") {
		t.Errorf("job %+v", j)
	}
	if !strings.HasPrefix(j.ID, "20261207-130501-") || j.State() != Pending {
		t.Errorf("id %s state %s", j.ID, j.State())
	}
	outside := filepath.Join(t.TempDir(), "elsewhere.ipynb")
	os.WriteFile(outside, nb, 0o644)
	if _, err := NewJob(Request{Notebook: outside, DataFolder: data}, now); err == nil || !strings.Contains(err.Error(), "outside the data folder") {
		t.Errorf("a notebook outside: %v", err)
	}
	if _, err := NewJob(Request{Notebook: in, DataFolder: data, Sets: []Set{{"subject": "01"}, {"iterations": "x"}}}, now); err == nil ||
		!strings.Contains(err.Error(), "row 2: iterations takes a whole number") {
		t.Errorf("a bad row: %v", err)
	}
}

func TestRunSpecFromTheSessionsContract(t *testing.T) {
	j := Job{ID: "20261207-130501-3fa2", NotebookRel: "study/analysis.ipynb", DataFolder: "/d", ImageDigest: "ghcr.io/neurodesk/neurodesktop@sha256:abc",
		Resources: Resources{CPUs: 2, MemoryGB: 4}, Runs: []Run{{Values: map[string]any{"subject": "01"}, Output: "/d/study/analysis.20261207-130501-3fa2-0.ipynb"}, {}}}
	base := engine.ContainerSpec{Name: "neurodeskapp", Image: "x:1", MacAddress: "88:75:56:ef:3e:d6",
		Labels:  map[string]string{"org.neurodesk.app.managed": "true", "org.neurodesk.app.role": "session", "org.neurodesk.app.port": "1234", "org.neurodesk.app.owner-uid": "1000"},
		Env:     []string{"JUPYTER_TOKEN=secret", "NB_UID=1000", "CVMFS_DISABLE=false"},
		Mounts:  []engine.Mount{{Source: "/d", Target: storageTarget}, {Volume: true, Source: "neurodesk-home", Target: "/home/jovyan"}},
		Publish: []engine.PortBinding{{ContainerPort: 8888, HostIP: "127.0.0.1"}}}
	l := &Local{Base: base}
	s, err := l.Spec(j, 0)
	if err != nil {
		t.Fatal(err)
	}
	if s.Image != j.ImageDigest || s.Name != "neurodeskapp-job-20261207-130501-3fa2-0" || s.MacAddress != "" || len(s.Publish) != 0 {
		t.Errorf("spec %+v", s)
	}
	if len(s.Mounts) != 1 || s.Mounts[0].Target != storageTarget || s.Mounts[0].Source != "/d" {
		t.Errorf("mounts %+v: the job's data folder only, no home volume", s.Mounts)
	}
	env := strings.Join(s.Env, " ")
	if strings.Contains(env, "secret") || !strings.Contains(env, "NEURODESKTOP_CVMFS_STARTUP_MODE=eager") || !strings.Contains(env, "NB_UID=1000") {
		t.Errorf("env %v", s.Env)
	}
	if s.Labels["org.neurodesk.app.role"] != "job" || s.Labels[LabelJob] != j.ID || s.Labels["org.neurodesk.app.port"] != "" || s.Labels["org.neurodesk.app.owner-uid"] != "1000" {
		t.Errorf("labels %v", s.Labels)
	}
	cmd := strings.Join(s.Cmd, " ")
	if !strings.HasPrefix(cmd, "start.sh papermill") || !strings.Contains(cmd, `-y {"subject":"01"} /neurodesktop-storage/study/analysis.ipynb /neurodesktop-storage/study/analysis.20261207-130501-3fa2-0.ipynb`) {
		t.Errorf("cmd %s", cmd)
	}
	if s.NanoCPU != 2e9 || s.Memory != 4<<30 || base.Labels["org.neurodesk.app.role"] != "session" {
		t.Errorf("limits %d %d, or the base changed", s.NanoCPU, s.Memory)
	}
}

func TestCrateSaysWhatRan(t *testing.T) {
	dir := t.TempDir()
	code := 1
	start := time.Date(2026, 12, 7, 13, 5, 1, 0, time.UTC)
	j := Job{ID: "20261207-130501-3fa2", Notebook: filepath.Join(dir, "analysis.ipynb"), NotebookHash: "feed", Submitted: start,
		Image: "ghcr.io/neurodesk/neurodesktop:2026-09-23", ImageDigest: "ghcr.io/neurodesk/neurodesktop@sha256:abc123",
		Runs: []Run{{}, {Index: 1, Values: map[string]any{"subject": "bad"}, State: Failed, Output: filepath.Join(dir, "analysis.20261207-130501-3fa2-1.ipynb"),
			Started: start, Ended: start.Add(time.Minute), ExitCode: &code, Reason: "cell 2 of 3 raised ValueError: no T1w", Host: "lab-pc", Container: "neurodeskapp-job-x"}}}
	if err := WriteCrate(j, 1, "1.2.0"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "analysis.20261207-130501-3fa2-1-ro-crate-metadata.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Graph []map[string]any `json:"@graph"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	byID := map[string]map[string]any{}
	for _, e := range c.Graph {
		byID[e["@id"].(string)] = e
	}
	action := byID["#run-20261207-130501-3fa2-1"]
	if action == nil || action["actionStatus"] != "http://schema.org/FailedActionStatus" || action["error"] != "cell 2 of 3 raised ValueError: no T1w" ||
		action["startTime"] != "2026-12-07T13:05:01Z" || action["exitCode"] != float64(1) {
		t.Errorf("action %v", action)
	}
	if img := byID["#image"]; img["registry"] != "ghcr.io" || img["name"] != "neurodesk/neurodesktop" || img["tag"] != "2026-09-23" || img["sha256"] != "abc123" {
		t.Errorf("image %v", img)
	}
	if nb := byID["analysis.ipynb"]; nb["sha256"] != "feed" {
		t.Errorf("notebook %v", nb)
	}
	if p := byID["#param-subject"]; p["value"] != `"bad"` {
		t.Errorf("parameter %v", p)
	}
	if root := byID["./"]; root["conformsTo"].(map[string]any)["@id"] != processCrate {
		t.Errorf("root %v", root)
	}
}

func TestStoreKeepsWhatItCannotRead(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	j := Job{ID: "20261207-130501-3fa2", Runs: []Run{{State: Succeeded}}}
	if err := s.Save(j); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(s.Dir, "20261207-130502-0000.json"), []byte("{torn"), 0o600)
	list, err := s.List()
	if len(list) != 1 || list[0].ID != j.ID || err == nil || !strings.Contains(err.Error(), "kept as") {
		t.Fatalf("list %v err %v", list, err)
	}
	matches, _ := filepath.Glob(filepath.Join(s.Dir, "20261207-130502-0000.json.corrupt-*"))
	if len(matches) != 1 {
		t.Errorf("the unreadable record was not kept aside: %v", matches)
	}
	if _, err := s.Load("../etc/passwd"); err == nil {
		t.Error("a path is taken for a job id")
	}
}

func TestImageNamesInTheRecord(t *testing.T) {
	for ref, want := range map[string][3]string{
		"ghcr.io/neurodesk/neurodesktop:2026-09-23":   {"ghcr.io", "neurodesk/neurodesktop", "2026-09-23"},
		"vnmd/neurodesktop:2026-09-23":                {"docker.io", "vnmd/neurodesktop", "2026-09-23"},
		"localhost/neurodeskapp-test/jupyterlab:abc":  {"localhost", "neurodeskapp-test/jupyterlab", "abc"},
		"127.0.0.1:5000/vnmd/neurodesktop:2026-11-30": {"127.0.0.1:5000", "vnmd/neurodesktop", "2026-11-30"},
	} {
		r, n, tag, _ := splitImage(ref, "")
		if [3]string{r, n, tag} != want {
			t.Errorf("%s: %s %s %s, want %v", ref, r, n, tag, want)
		}
	}
}

// TestInputsThatWouldRunCodeOrMisread: a table's header or a -p name that
// is not a Python name is refused (papermill writes `name = value` into the
// notebook); a '#' inside a string default is the string's; numbers that
// JSON cannot hold are refused; a label with a leading zero stays text.
func TestInputsThatWouldRunCodeOrMisread(t *testing.T) {
	dir := t.TempDir()
	table := filepath.Join(dir, "evil.csv")
	os.WriteFile(table, []byte("\"a=__import__('os').system('id')\"\n1\n"), 0o644)
	if _, err := ReadTable(table); err == nil || !strings.Contains(err.Error(), "not a parameter's name") {
		t.Errorf("an injected header: %v", err)
	}
	if _, err := Values(nil, false, Set{"x=1;import os": "1"}, nil); err == nil {
		t.Error("a -p name that is code was taken")
	}
	nb := []byte(`{"cells":[{"cell_type":"code","metadata":{"tags":["parameters"]},"source":["color = \"#ff0000\"  # a colour\n","alpha = 0.5\n","label = None\n"]}]}`)
	params, _, err := Parameters(nb)
	if err != nil || len(params) != 3 || params[0].Default != `"#ff0000"` || params[0].Kind != KindStr {
		t.Fatalf("params %+v %v", params, err)
	}
	if _, err := params[1].Value("NaN"); err == nil {
		t.Error("NaN taken for a number")
	}
	if v, err := params[2].Value("01"); err != nil || v != "01" {
		t.Errorf("the label 01 became %#v %v", v, err)
	}
	if v, _ := params[2].Value("inf"); v != "inf" {
		t.Errorf("inf became %#v", v)
	}
}
