package session

import (
	"context"
	"net/http"
	"net/http/httptest"
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

// TestConnectToAHub: without a token, a server that answers (a hub's
// login page, after its redirect) is the session, opened at its first
// page; one that fails is said to.
func TestConnectToAHub(t *testing.T) {
	hub := http.NewServeMux()
	hub.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/hub/login?next=%2Fhub%2F", http.StatusFound)
	})
	hub.HandleFunc("/hub/login", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<form>sign in</form>")) })
	srv := httptest.NewServer(hub)
	t.Cleanup(srv.Close)
	info, err := ConnectRemote(context.Background(), http.DefaultClient, srv.URL+"/", "", false)
	if err != nil || info.BaseURL != srv.URL || info.Token != "" || !info.Remote || info.LabURL() != srv.URL+"/" {
		t.Fatalf("a hub: %+v (opens %s), %v", info, info.LabURL(), err)
	}
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusBadGateway) }))
	t.Cleanup(broken.Close)
	if _, err := ConnectRemote(context.Background(), http.DefaultClient, broken.URL, "", false); problem.CodeOf(err) != problem.RemoteUnreachable {
		t.Errorf("a hub that fails: %v", err)
	}
}
