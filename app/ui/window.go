package ui

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/adrg/xdg"

	"github.com/neurodesk/neurodeskapp/app/atomicfile"
	"github.com/neurodesk/neurodeskapp/app/platform"
	"github.com/neurodesk/neurodeskapp/app/webview"
)

// What happens inside the window once a session page is shown: where new
// windows go, the title, zoom, downloads. The native hooks (package
// webview) report; these methods decide.

// hooks are the native web view's reports, routed to the service.
func (s *Service) hooks() webview.Hooks {
	return webview.Hooks{
		NewWindow:    func(r webview.NewWindowRequest) { go s.newWindow(r) },
		PageChanged:  s.pageChanged,
		TitleChanged: s.titleChanged,
		DownloadTo:   s.downloadTo,
		Download:     func(d webview.Download) { go s.downloadEnded(d) },
		DownloadRoom: s.downloadRoom,
		ContextMenu:  func(uri string) bool { return !s.isLauncher(uri) },
		MayNavigate:  s.mayNavigate,
		OpenFolder:   func(p string) { s.runtime().OpenBrowser(platform.FileURL(p)) },
	}
}

func (s *Service) runtime() Runtime {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rt
}

// newWindow sends a page of the session to a window of its own, any other
// web page to the system browser, and refuses the rest.
func (s *Service) newWindow(r webview.NewWindowRequest) {
	s.mu.Lock()
	base := ""
	if s.session != nil {
		base = s.session.BaseURL
	}
	rt := s.rt
	s.mu.Unlock()
	switch routeOf(r.URL, base) {
	case routeInside:
		slog.Info("new window inside the app", "url", redactURL(r.URL))
		rt.OpenWindow(r.URL)
	case routeBrowser:
		if !r.UserGesture || !s.mayOpenBrowser(time.Now()) {
			slog.Warn("refused a page's request for the system browser: no click or key asked for it, or too many at once", "url", redactURL(r.URL), "user_gesture", r.UserGesture)
			return
		}
		slog.Info("new window in the system browser", "url", redactURL(r.URL))
		rt.OpenBrowser(r.URL)
	default:
		slog.Warn("refused a page's request for a new window", "url", redactURL(r.URL), "user_gesture", r.UserGesture)
	}
}

// Pages may send at most browserBurst links to the system browser in
// browserWindow: a page that loops on window.open must not flood it.
const (
	browserBurst  = 3
	browserWindow = 10 * time.Second
)

// mayOpenBrowser records an opening at now if the page's budget allows it.
func (s *Service) mayOpenBrowser(now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	recent := s.browserOpens[:0]
	for _, t := range s.browserOpens {
		if now.Sub(t) < browserWindow {
			recent = append(recent, t)
		}
	}
	s.browserOpens = recent
	if len(recent) >= browserBurst {
		return false
	}
	s.browserOpens = append(s.browserOpens, now)
	return true
}

// isLauncher reports whether uri is our own page: the first address the
// window showed is the launcher's.
func (s *Service) isLauncher(uri string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.launcherOrigin != "" && strings.HasPrefix(uri, s.launcherOrigin)
}

// pageChanged follows the main view. While a page we did not serve is
// shown, nothing is emitted into it.
func (s *Service) pageChanged(uri string) {
	if s.hop(uri) {
		return // a step back to the launcher: it is the same to the person
	}
	s.mu.Lock()
	if s.launcherOrigin == "" {
		s.launcherOrigin = originOf(uri)
	}
	ours := strings.HasPrefix(uri, s.launcherOrigin)
	s.onLauncher = ours
	rt := s.rt
	s.mu.Unlock()
	if rt == nil {
		return
	}
	rt.PageBackground(ours)
	if ours {
		rt.SetTitle("Neurodesk")
	}
}

func originOf(uri string) string {
	if i := strings.Index(uri, "://"); i >= 0 {
		if j := strings.IndexByte(uri[i+3:], '/'); j >= 0 {
			return uri[:i+3+j+1]
		}
	}
	return uri
}

// titleChanged names the window after the page: "JupyterLab — Neurodesk".
func (s *Service) titleChanged(main bool, title string) {
	s.mu.Lock()
	ours, rt := s.onLauncher, s.rt
	s.mu.Unlock()
	if !main || rt == nil {
		return
	}
	rt.SetTitle(windowTitle(title, ours))
}

func windowTitle(page string, launcher bool) string {
	page = strings.TrimSpace(page)
	if launcher || page == "" || page == "Neurodesk" {
		return "Neurodesk"
	}
	return page + " — Neurodesk"
}

// downloadsDir is where downloads land: the user's Downloads folder.
func (s *Service) downloadsDir() string {
	if s.cfg.DownloadsDir != "" {
		return s.cfg.DownloadsDir
	}
	return xdg.UserDirs.Download
}

// downloadTo picks a new file in the Downloads folder for a download; an
// existing file is never overwritten ("results (1).csv").
func (s *Service) downloadTo(suggested string) string {
	dir := s.downloadsDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		slog.Warn("downloads folder", "error", err)
		return ""
	}
	name := downloadName(suggested)
	stem, ext := splitExt(name)
	for i := 0; i < 1000; i++ {
		p := filepath.Join(dir, name)
		if i > 0 {
			p = filepath.Join(dir, stem+" ("+strconv.Itoa(i)+")"+ext)
		}
		// Claim the name now, so two downloads never pick the same one.
		if f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644); err == nil {
			f.Close()
			return p
		}
	}
	return ""
}

// downloadReserve is the free space a download never takes: a page cannot
// fill the disk the person's work and the engine live on.
const downloadReserve = 1e9

// downloadRoom lets a download go on while the rest of it leaves the
// reserve free on its disk; else it is stopped, and downloadEnded says why.
func (s *Service) downloadRoom(file string, received, expected uint64) bool {
	free, err := s.freeBytes(filepath.Dir(file))
	if err != nil {
		return true // unknown: the file system's own limit stands
	}
	rest := uint64(0)
	if expected > received {
		rest = expected - received
	}
	if free >= rest && free-rest >= downloadReserve {
		return true
	}
	why := fmt.Sprintf("the disk of %s has %s free, and downloads leave %s free", filepath.Dir(file), gb(int64(free)), gb(downloadReserve))
	if expected > 0 {
		why = fmt.Sprintf("it needs %s; %s", gb(int64(expected)), why)
	}
	s.mu.Lock()
	if s.downloadsStopped == nil {
		s.downloadsStopped = map[string]string{}
	}
	s.downloadsStopped[file] = why
	s.mu.Unlock()
	return false
}

func (s *Service) freeBytes(dir string) (uint64, error) {
	if s.cfg.FreeBytes != nil {
		return s.cfg.FreeBytes(dir)
	}
	return platform.FreeBytes(dir)
}

// downloadEnded tells the person where the file is, or why it is not.
func (s *Service) downloadEnded(d webview.Download) {
	rt := s.runtime()
	s.mu.Lock()
	if why, ok := s.downloadsStopped[d.File]; ok && d.File != "" {
		delete(s.downloadsStopped, d.File)
		d.Err = why
	}
	s.mu.Unlock()
	if d.Claimed != "" {
		removeIfEmpty(d.Claimed) // the web view wrote elsewhere
	}
	if d.Err != "" {
		if d.File != "" {
			_ = os.Remove(d.File) // what was written of it
		}
		slog.Warn("download failed", "url", redactURL(d.URL), "error", d.Err)
		rt.Notice(webview.Notice{Text: fmt.Sprintf("The download of %s failed: %s", nameOf(d), d.Err), Stays: true})
		return
	}
	slog.Info("downloaded", "url", redactURL(d.URL), "file", d.File)
	rt.Notice(webview.Notice{Text: fmt.Sprintf("Downloaded %s to %s", filepath.Base(d.File), filepath.Dir(d.File)), Folder: filepath.Dir(d.File)})
}

func nameOf(d webview.Download) string {
	if d.File != "" {
		return filepath.Base(d.File)
	}
	return redactURL(d.URL)
}

// zoomSteps are the zoom levels Zoom In and Zoom Out step through.
var zoomSteps = []float64{0.5, 0.67, 0.8, 0.9, 1, 1.1, 1.25, 1.5, 1.75, 2, 2.5, 3}

// Zoom changes the page's zoom by steps (0 is back to 100%) and
// remembers it.
func (s *Service) zoom(by int) {
	s.mu.Lock()
	z := 1.0
	if by != 0 {
		i := 0
		for i < len(zoomSteps)-1 && zoomSteps[i] < s.zoomLevel-0.001 {
			i++
		}
		z = zoomSteps[max(0, min(len(zoomSteps)-1, i+by))]
	}
	s.zoomLevel = z
	rt := s.rt
	s.mu.Unlock()
	rt.SetZoom(z)
	if err := atomicfile.Write(s.zoomFile(), []byte(strconv.FormatFloat(z, 'f', 2, 64)), 0o600); err != nil {
		slog.Warn("remember zoom", "error", err)
	}
}

func (s *Service) zoomFile() string { return filepath.Join(filepath.Dir(s.cfg.Paths.Settings), "zoom") }

// loadZoom reads the remembered zoom; anything odd is 100%.
func (s *Service) loadZoom() float64 {
	b, err := os.ReadFile(s.zoomFile())
	if err != nil {
		return 1
	}
	z, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
	if err != nil || z < zoomSteps[0] || z > zoomSteps[len(zoomSteps)-1] {
		return 1
	}
	return z
}

// removeIfEmpty removes a file claimed for a download that never wrote to
// it; anything with content stays.
func removeIfEmpty(p string) {
	if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Size() == 0 {
		_ = os.Remove(p)
	}
}
