package ui

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/neurodesk/neurodeskapp/app/problem"
	"github.com/neurodesk/neurodeskapp/app/settings"
)

// TestForgetServer: the web view is told to forget the server's host and
// the launcher says what went; an address without a host is refused.
func TestForgetServer(t *testing.T) {
	s, rt := newService(t)
	said, err := s.ForgetServer(" https://play-europe.neurodesk.org/hub/login ")
	if err != nil || !strings.Contains(said, "play-europe.neurodesk.org") {
		t.Errorf("forget: %q, %v", said, err)
	}
	if !slices.Equal(rt.forgot, []string{"play-europe.neurodesk.org"}) {
		t.Errorf("the web view was told to forget %q", rt.forgot)
	}
	if _, err := s.ForgetServer("play"); problem.CodeOf(err) != problem.InvalidSettings {
		t.Errorf("no host: %v", err)
	}
	if got := forgotLine("play-europe.neurodesk.org", []string{"neurodesk.org"}); !strings.Contains(got, "neurodesk.org (every server there)") {
		t.Errorf("a site's data: %q", got)
	}
}

// TestPlayServersByDefault: a new user's launcher offers Neurodesk Play's
// three hubs; an address that is not one is refused by name.
func TestPlayServersByDefault(t *testing.T) {
	d := settings.Defaults("/home/ana/neurodesktop-storage")
	if len(d.RemoteServers) != 3 || !strings.HasPrefix(d.RemoteServers[2].URL, "https://play-europe.neurodesk.org") {
		t.Errorf("defaults: %+v", d.RemoteServers)
	}
	d.RemoteServers = append(d.RemoteServers, settings.RemoteServer{Name: "x", URL: "play.example"})
	d.DataFolder = t.TempDir()
	var fields settings.Errors
	errors.As(settings.Validate(d, settings.Limits{}), &fields)
	if len(fields) != 1 || fields[0].Field != "remote_servers[3]" {
		t.Errorf("a bad address: %+v", fields)
	}
}
