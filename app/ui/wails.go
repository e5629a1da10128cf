package ui

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/options/mac"
	"github.com/wailsapp/wails/v2/pkg/options/windows"
	wrt "github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/neurodesk/neurodeskapp/app/platform"
	"github.com/neurodesk/neurodeskapp/app/problem"
	"github.com/neurodesk/neurodeskapp/app/webview"
)

// wailsRuntime is the Runtime seam over Wails' runtime package and, where
// the platform has them, the native web view hooks (nat).
type wailsRuntime struct {
	ctx context.Context
	nat webview.Native // nil: Wails alone
	// notifications stand in for the missing notice line; readied at the
	// first notice, not at start.
	notifications *notifications
}

type notifications struct {
	once  sync.Once
	ready bool
}

func (w wailsRuntime) Emit(event string, data any) { wrt.EventsEmit(w.ctx, event, data) }
func (w wailsRuntime) ChooseFolder(title, start string) (string, error) {
	return wrt.OpenDirectoryDialog(w.ctx, wrt.OpenDialogOptions{Title: title, DefaultDirectory: existingDir(start), CanCreateDirectories: true})
}

// OpenBrowser opens a web address through Wails (which refuses any other
// scheme), and a file:// one (a folder, the private redirect page) with
// the system's opener itself: Wails would drop it without a word.
func (w wailsRuntime) OpenBrowser(url string) {
	if !strings.HasPrefix(url, "file://") {
		wrt.BrowserOpenURL(w.ctx, url)
		return
	}
	if err := platform.OpenURL(w.ctx, url); err != nil {
		slog.Error("open a file address failed", "url", problem.Redact(url), "cause", err)
	}
}
func (w wailsRuntime) Navigate(url string) {
	if w.nat != nil {
		w.nat.Load(url)
		return
	}
	b, _ := json.Marshal(url)
	wrt.WindowExecJS(w.ctx, "window.location.href = "+string(b)+";")
}

// OpenWindow: a plain window where the platform has one; elsewhere the
// page replaces the one shown, once that page agrees.
func (w wailsRuntime) OpenWindow(url string) {
	if o, ok := w.nat.(webview.WindowOpener); ok {
		o.OpenWindow(url)
		return
	}
	w.Leave(func() { w.Navigate(url) })
}
func (w wailsRuntime) ShowLauncher() { wrt.WindowReloadApp(w.ctx) }
func (w wailsRuntime) Quit()         { wrt.Quit(w.ctx) }
func (w wailsRuntime) Raise() {
	wrt.WindowUnminimise(w.ctx)
	wrt.WindowShow(w.ctx)
}
func (w wailsRuntime) SetTitle(title string) { wrt.WindowSetTitle(w.ctx, title) }
func (w wailsRuntime) PageBackground(launcher bool) {
	if launcher {
		c := launcherBackground()
		wrt.WindowSetBackgroundColour(w.ctx, c.R, c.G, c.B, c.A)
		return
	}
	wrt.WindowSetBackgroundColour(w.ctx, 255, 255, 255, 255)
}

// launcherBackground is behind the launcher before it paints: no white flash.
func launcherBackground() *options.RGBA { return &options.RGBA{R: 24, G: 27, B: 33, A: 255} }

func (w wailsRuntime) SetZoom(level float64) {
	if w.nat != nil {
		w.nat.SetZoom(level)
	}
}

// Notice: where the window has no notice line, a system notification.
func (w wailsRuntime) Notice(no webview.Notice) {
	if n, ok := w.nat.(webview.Noticer); ok {
		n.Notice(no)
		return
	}
	text := no.Text
	if text == "" {
		return // a system notification cannot be taken back
	}
	slog.Info("notice", "text", text)
	w.notifications.once.Do(func() { w.notifications.ready = readyNotifications(w.ctx) })
	if !w.notifications.ready {
		return
	}
	if err := wrt.SendNotification(w.ctx, wrt.NotificationOptions{ID: "neurodesk-notice", Title: "Neurodesk", Body: text}); err != nil {
		slog.Warn("system notification", "error", err)
	}
}

// Forget waits for the web view to forget host's site.
func (w wailsRuntime) Forget(host string) ([]string, error) {
	f, ok := w.nat.(webview.Forgetter)
	if !ok {
		return nil, errors.New("this system's web view cannot forget one server's data here")
	}
	type result struct {
		sites []string
		err   error
	}
	got := make(chan result, 1)
	f.Forget(host, func(sites []string, err error) { got <- result{sites, err} })
	select {
	case r := <-got:
		return r.sites, r.err
	case <-time.After(10 * time.Second):
		return nil, errors.New("the web view did not answer")
	}
}

// Leave: the page is asked natively where the web view can (WebKitGTK),
// through its beforeunload handlers elsewhere (guardedLeave).
func (w wailsRuntime) Leave(then func()) {
	if l, ok := w.nat.(webview.Leaver); ok {
		l.Leave(then)
		return
	}
	if g, ok := w.nat.(webview.PageGuard); ok {
		guardedLeave(g, w.Ask, then, 3*time.Second)
		return
	}
	go then()
}

// Ask uses our own dialog where there is one; Wails' message dialog
// elsewhere (custom buttons on macOS; Yes/No/Cancel on Windows, whose
// message box has no others, so the buttons are named in the text).
func (w wailsRuntime) Ask(q webview.Question) (webview.Answer, error) {
	if a, ok := w.nat.(webview.Asker); ok {
		return a.Ask(q)
	}
	q.Buttons = slices.Clone(q.Buttons)
	for i, b := range q.Buttons {
		q.Buttons[i] = strings.Replace(b, "_", "", 1) // no access keys here
	}
	opts := wrt.MessageDialogOptions{Type: wrt.QuestionDialog, Title: q.Title, Message: q.Message + "\n\n" + q.Detail,
		Buttons: q.Buttons, DefaultButton: q.Buttons[q.Default], CancelButton: q.Buttons[q.Cancel]}
	if runtime.GOOS == "windows" {
		opts.Message += "\n"
		std := []string{"Yes", "No", "Cancel"}[:min(3, len(q.Buttons))]
		for i, b := range q.Buttons[:len(std)] {
			opts.Message += "\n" + std[i] + ": " + b
		}
		opts.Buttons, opts.DefaultButton, opts.CancelButton = std, std[min(q.Default, len(std)-1)], std[min(q.Cancel, len(std)-1)]
	}
	got, err := wrt.MessageDialog(w.ctx, opts)
	if err != nil {
		return webview.Answer{Button: q.Cancel}, err
	}
	for i, b := range opts.Buttons {
		if strings.EqualFold(got, b) {
			return webview.Answer{Button: i}, nil
		}
	}
	return webview.Answer{Button: q.Cancel}, nil
}

func existingDir(p string) string {
	for p != "" {
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p
		}
		parent := filepath.Dir(p)
		if parent == p {
			break
		}
		p = parent
	}
	return ""
}

// geometry is the window's size and position, remembered between runs.
type geometry struct {
	W, H, X, Y int
	Set        bool
}

func loadGeometry(path string) geometry {
	g := geometry{W: 1280, H: 800}
	if b, err := os.ReadFile(path); err == nil {
		var saved geometry
		if json.Unmarshal(b, &saved) == nil && saved.W >= 640 && saved.H >= 480 {
			g = saved
			g.Set = true
		}
	}
	return g
}

// Controls are what the app's process may ask of the window once it is up.
type Controls struct {
	// Quit is for SIGTERM: the app quits as if closed, a session keeps running.
	Quit func()
	// Launched is a later launch's arguments (or this one's): the window
	// comes forward and opens the paths among them.
	Launched func(args []string)
}

// Run opens the window and blocks until the app quits. assets holds the
// frontend (index.html at its root). onReady receives the Controls. With
// check, the window runs the self-check and quits.
func Run(svc *Service, assets fs.FS, geometryFile string, check *SelfCheck, onReady func(Controls)) error {
	svc.mu.Lock()
	svc.selfCheck = check
	svc.mu.Unlock()
	g := loadGeometry(geometryFile)
	saveGeometry := func(ctx context.Context) {
		if wrt.WindowIsMinimised(ctx) || wrt.WindowIsMaximised(ctx) {
			return
		}
		w, h := wrt.WindowGetSize(ctx)
		x, y := wrt.WindowGetPosition(ctx)
		if b, err := json.Marshal(geometry{W: w, H: h, X: x, Y: y}); err == nil {
			_ = os.MkdirAll(filepath.Dir(geometryFile), 0o700)
			_ = os.WriteFile(geometryFile, b, 0o600)
		}
	}
	return wails.Run(&options.App{
		Title:     "Neurodesk",
		Width:     g.W,
		Height:    g.H,
		MinWidth:  760,
		MinHeight: 520,
		// Start hidden and show on DOM ready: no white flash.
		StartHidden:      true,
		BackgroundColour: launcherBackground(),
		AssetServer:      &assetserver.Options{Assets: assets},
		Menu:             buildMenu(svc),
		Bind:             []any{svc},
		// Rejected calls reach the page as {code, message, remedy, detail, fields}.
		ErrorFormatter: func(err error) any {
			problem.Log("call from the window", err)
			return FormatError(err)
		},
		// BindingsAllowedOrigins stays empty: nothing JupyterLab serves may call us.
		// The default context menu is allowed; the native hooks keep it off
		// the launcher and give it to session pages (copy, paste, links).
		EnableDefaultContextMenu: true,
		OnStartup: func(ctx context.Context) {
			if g.Set {
				wrt.WindowSetPosition(ctx, g.X, g.Y)
			}
			rt := wailsRuntime{ctx: ctx, notifications: &notifications{}}
			nat, err := webview.Attach(ctx, svc.hooks())
			if err == nil {
				rt.nat = nat
				svc.guard() // the hooks follow the main view's pages
				if k, ok := nat.(webview.CookieKeeper); ok {
					k.KeepCookies(svc.cookieFile())
				}
			} else {
				slog.Info("native web view hooks", "error", err)
			}
			svc.startup(ctx, rt)
			wrt.OnFileDrop(ctx, func(_, _ int, paths []string) { go svc.dropped(paths) })
			if onReady != nil {
				onReady(Controls{Quit: svc.quitNow, Launched: svc.launched})
			}
			if check != nil {
				go check.run(nat, err, svc.quitNow)
			}
		},
		OnDomReady: func(ctx context.Context) {
			wrt.WindowShow(ctx)
			if check != nil {
				check.shown()
			}
			slog.Info("window shown") // make bench times first paint from this line
		},
		OnShutdown: func(context.Context) { svc.closeTunnels() },
		OnBeforeClose: func(ctx context.Context) bool {
			saveGeometry(ctx)
			return svc.beforeClose()
		},
		// Drops give the launcher their paths (Wails on Linux and Windows);
		// the web view still takes them too, so JupyterLab's uploads work.
		DragAndDrop: &options.DragAndDrop{EnableFileDrop: true},
		Linux:       &linux.Options{ProgramName: "neurodeskapp", WebviewGpuPolicy: linux.WebviewGpuPolicyOnDemand},
		Mac: &mac.Options{
			TitleBar: mac.TitleBarDefault(),
			About:    &mac.AboutInfo{Title: "Neurodesk", Message: "Neurodesktop on your own computer. Version " + svc.cfg.Version},
			// A notebook or folder opened from the Finder (Info.plist's document types).
			OnFileOpen: func(path string) { go svc.openPaths([]string{path}) },
		},
		Windows: &windows.Options{WebviewUserDataPath: webviewDataPath()},
	})
}

// webviewDataPath keeps WebView2's data in our own folder, so the
// uninstaller can remove it (Windows only).
func webviewDataPath() string {
	if runtime.GOOS != "windows" {
		return ""
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "Neurodesk", "WebView2")
	}
	return ""
}

// DisableDMABufOnNvidia sets WEBKIT_DISABLE_DMABUF_RENDERER=1 where the
// NVIDIA driver is loaded (WebKitGTK shows a blank window there otherwise),
// unless the user set it.
func DisableDMABufOnNvidia() {
	if runtime.GOOS != "linux" || os.Getenv("WEBKIT_DISABLE_DMABUF_RENDERER") != "" {
		return
	}
	if b, err := os.ReadFile("/proc/modules"); err == nil && strings.Contains(string(b), "nvidia ") {
		os.Setenv("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
	}
}

// readyNotifications readies system notifications (macOS asks the person
// once); false where they cannot be sent.
func readyNotifications(ctx context.Context) bool {
	if err := wrt.InitializeNotifications(ctx); err != nil {
		slog.Info("system notifications", "error", err)
		return false
	}
	if ok, err := wrt.RequestNotificationAuthorization(ctx); !ok {
		slog.Info("system notifications not allowed", "error", err)
		return false
	}
	return true
}
