package session

import (
	"context"
	"net/http"
	"testing"

	"github.com/neurodesk/neurodeskapp/app/problem"
)

func TestConnectRemote(t *testing.T) {
	srv, _ := jupyter(t, "secret")
	ctx := context.Background()
	info, err := ConnectRemote(ctx, http.DefaultClient, srv.URL+"/lab?token=secret", "", false)
	if err != nil || info.BaseURL != srv.URL || info.Token != "secret" || !info.Remote {
		t.Fatalf("token from the URL: %+v %v", info, err)
	}
	if _, err := ConnectRemote(ctx, http.DefaultClient, srv.URL, "wrong", false); problem.CodeOf(err) != problem.RemoteUnreachable {
		t.Errorf("wrong token: %v", err)
	}
	if _, err := ConnectRemote(ctx, http.DefaultClient, "http://127.0.0.1:1", "x", false); problem.CodeOf(err) != problem.RemoteUnreachable || problem.RemedyOf(err) == "" {
		t.Errorf("dead server: %v", err)
	}
	if _, err := ConnectRemote(ctx, http.DefaultClient, "http://hpc.example.org:8888", "x", false); problem.CodeOf(err) != problem.InsecureRemote {
		t.Errorf("plain http to another machine without consent: %v", err)
	}
	if _, err := ConnectRemote(ctx, http.DefaultClient, "not a url", "x", false); problem.CodeOf(err) != problem.InvalidSettings {
		t.Errorf("bad URL: %v", err)
	}
}
