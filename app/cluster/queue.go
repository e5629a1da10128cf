package cluster

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// QueueFormat is the squeue --format the app reads: id, state, reason,
// expected start, node, time left, one job a line.
const QueueFormat = "%i|%T|%r|%S|%N|%L"

// Queued is one of the user's jobs as squeue tells it.
type Queued struct {
	ID     string
	State  string // PENDING, RUNNING, COMPLETING, …
	Reason string // why it waits (Resources, Priority, …); "None" when it does not
	// Start is when SLURM expects to start it (zero when it does not say).
	Start    time.Time
	Node     string
	TimeLeft time.Duration // -1 when unknown or unlimited
}

// ParseQueue reads squeue --noheader --format=QueueFormat.
func ParseQueue(out string) ([]Queued, error) {
	var jobs []Queued
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(strings.TrimSpace(line), "|")
		if len(f) != 6 {
			return nil, fmt.Errorf("read squeue: %q has %d fields, want 6", line, len(f))
		}
		q := Queued{ID: f[0], State: f[1], Reason: f[2], Node: f[4], TimeLeft: -1}
		if t, err := time.ParseInLocation("2006-01-02T15:04:05", f[3], time.Local); err == nil {
			q.Start = t
		}
		if d, ok := parseDuration(f[5]); ok {
			q.TimeLeft = d
		}
		if q.Node == "(null)" || strings.HasPrefix(q.Node, "(") {
			q.Node = ""
		}
		jobs = append(jobs, q)
	}
	return jobs, nil
}

// parseDuration reads SLURM's [D-]HH:MM:SS, MM:SS or MM.
func parseDuration(s string) (time.Duration, bool) {
	days := 0
	if d, rest, ok := strings.Cut(s, "-"); ok {
		n, err := strconv.Atoi(d)
		if err != nil {
			return 0, false
		}
		days, s = n, rest
	}
	parts := strings.Split(s, ":")
	if len(parts) > 3 {
		return 0, false
	}
	var secs int
	for _, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return 0, false
		}
		secs = secs*60 + n
	}
	if len(parts) == 1 {
		secs *= 60 // a lone number is minutes
	}
	return time.Duration(days*86400+secs) * time.Second, true
}

// ParseSubmitted reads sbatch --parsable: "ID" or "ID;CLUSTER".
func ParseSubmitted(out string) (string, error) {
	id, _, _ := strings.Cut(strings.TrimSpace(out), ";")
	if _, err := strconv.Atoi(id); err != nil {
		return "", fmt.Errorf("read sbatch's answer %q: not a job id", strings.TrimSpace(out))
	}
	return id, nil
}

// Waiting says in words why a pending job waits, as the launcher shows it.
func (q Queued) Waiting(now time.Time) string {
	why := map[string]string{
		"Resources":              "the cores, memory or GPUs asked for are in use",
		"Priority":               "jobs with a higher priority are ahead of it",
		"QOSMaxJobsPerUserLimit": "you have as many jobs running as the cluster allows",
		"ReqNodeNotAvail":        "the nodes it needs are not available (maintenance?)",
		"PartitionTimeLimit":     "the time limit is longer than the partition allows",
		"AssocGrpCPULimit":       "your account's share of cores is in use",
		"None":                   "SLURM has not scheduled it yet",
		"":                       "SLURM has not scheduled it yet",
	}[q.Reason]
	if why == "" {
		why = "SLURM says: " + q.Reason
	}
	s := "Waiting in the queue: " + why + "."
	if !q.Start.IsZero() && q.Start.After(now) {
		s += " Expected to start in about " + roughly(q.Start.Sub(now)) + "."
	}
	return s
}

func roughly(d time.Duration) string {
	switch {
	case d < 2*time.Minute:
		return "a minute"
	case d < 2*time.Hour:
		return fmt.Sprintf("%d minutes", int(d.Minutes()+0.5))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d hours", int(d.Hours()+0.5))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24+0.5))
}
