package cluster

import (
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/neurodesk/neurodeskapp/app/engine"
	"github.com/neurodesk/neurodeskapp/app/settings"
)

// For reaches the cluster whose login node is login with ssh as the SSH
// engine does (env's NEURODESK_SSH_CONFIG, a private control master); the
// jobs' tokens are kept in stateDir.
func For(env engine.Env, login, stateDir string) (Sessions, error) {
	opts, err := engine.SSHFlags(env)
	if err != nil {
		return Sessions{}, fmt.Errorf("reach %s: %w", login, err)
	}
	shared := slices.ContainsFunc(opts, func(o string) bool { return strings.HasPrefix(o, "ControlPath=") })
	return Sessions{Login: SSH{Destination: login, Options: opts, Shared: shared},
		Tokens: filepath.Join(stateDir, "cluster-tokens.json"), Client: &http.Client{}}, nil
}

// JobFor is what the settings ask of the cluster: st's SIF file when it
// names one, else image (a registry reference) pulled by Apptainer.
func JobFor(st settings.Cluster, image string) Job {
	if st.Image != "" {
		image = st.Image
	} else if !strings.Contains(image, "://") {
		image = "docker://" + image
	}
	return Job{Partition: st.Partition, Account: st.Account, CPUs: st.CPUs, MemoryGB: st.MemoryGB, GPUs: st.GPUs,
		Walltime: time.Duration(st.Hours) * time.Hour, DataFolder: st.DataFolder, Image: image}
}

// Describe is the job in a few words: "4 cores, 16 GB and 8 h".
func (j Job) Describe() string {
	s := fmt.Sprintf("%d cores, %d GB and %s", j.CPUs, j.MemoryGB, hours(j.Walltime))
	if j.GPUs > 0 {
		s += fmt.Sprintf(", %d GPUs", j.GPUs)
	}
	if j.Partition != "" {
		s += " on partition " + j.Partition
	}
	return s
}

func hours(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%d h", int(d.Hours()))
	}
	return d.Round(time.Minute).String()
}

// Kept says whether this computer started a job on this cluster that may
// still run: a restarted app looks for it.
func (s Sessions) Kept() bool {
	for k := range s.tokens() {
		if strings.HasPrefix(k, s.Login.Destination+" ") {
			return true
		}
	}
	return false
}
