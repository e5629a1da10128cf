package session

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// Ready means what the person will see answers: Jupyter's API and then
// JupyterLab's page. A server whose API is up while /lab still fails (an
// extension loading, a proxy in front) is waited for.
func TestReadyWaitsForJupyterLabsPage(t *testing.T) {
	var labAsked atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "token tok" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		if r.URL.Path == "/lab" && labAsked.Add(1) < 4 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := waitReady(ctx, srv.Client(), srv.URL, "tok", nil); err != nil {
		t.Fatal(err)
	}
	if n := labAsked.Load(); n != 4 {
		t.Errorf("ready after /lab answered %d times, want after its first 200 (the 4th)", n)
	}
	if err := waitReady(ctx, srv.Client(), srv.URL, "wrong", nil); err == nil {
		t.Error("a refused token was taken for ready")
	}
}

// A first JupyterLab page that takes longer than a status request may (a
// new home on a slow disk) is waited for, not cut off and asked again.
func TestSlowFirstPageIsWaitedFor(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/lab" {
			select {
			case <-time.After(1500 * time.Millisecond): // every render takes this long
			case <-r.Context().Done():
				return
			}
		}
		w.Write([]byte("{}"))
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := waitReady(ctx, srv.Client(), srv.URL, "t", make(chan struct{})); err != nil {
		t.Fatalf("a page that takes 1.5 s never counted as ready: %v", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("ready after %s, want about 1.5 s", took)
	}
}
