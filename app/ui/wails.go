package ui

import (
	"context"
	"encoding/json"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/options/mac"
	"github.com/wailsapp/wails/v2/pkg/options/windows"
	wrt "github.com/wailsapp/wails/v2/pkg/runtime"
)

// wailsRuntime is the Runtime seam over Wails' runtime package.
type wailsRuntime struct{ ctx context.Context }

func (w wailsRuntime) Emit(event string, data any) { wrt.EventsEmit(w.ctx, event, data) }
func (w wailsRuntime) ChooseFolder(title, start string) (string, error) {
	return wrt.OpenDirectoryDialog(w.ctx, wrt.OpenDialogOptions{Title: title, DefaultDirectory: existingDir(start), CanCreateDirectories: true})
}
func (w wailsRuntime) OpenBrowser(url string) { wrt.BrowserOpenURL(w.ctx, url) }
func (w wailsRuntime) Navigate(url string) {
	b, _ := json.Marshal(url)
	wrt.WindowExecJS(w.ctx, "window.location.href = "+string(b)+";")
}
func (w wailsRuntime) ShowLauncher() { wrt.WindowReloadApp(w.ctx) }
func (w wailsRuntime) Quit()         { wrt.Quit(w.ctx) }
func (w wailsRuntime) Raise() {
	wrt.WindowUnminimise(w.ctx)
	wrt.WindowShow(w.ctx)
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

// Run opens the window and blocks until the app quits. assets holds the
// frontend (index.html at its root). stop is called by the caller on
// SIGTERM so the app quits as if the user closed it.
func Run(svc *Service, assets fs.FS, geometryFile string, onReady func(quit func())) error {
	g := loadGeometry(geometryFile)
	var appCtx context.Context
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
		BackgroundColour: &options.RGBA{R: 24, G: 27, B: 33, A: 255},
		AssetServer:      &assetserver.Options{Assets: assets},
		Menu:             buildMenu(svc, func() context.Context { return appCtx }),
		Bind:             []any{svc},
		// BindingsAllowedOrigins stays empty: nothing JupyterLab serves may call us.
		OnStartup: func(ctx context.Context) {
			appCtx = ctx
			if g.Set {
				wrt.WindowSetPosition(ctx, g.X, g.Y)
			}
			svc.Startup(ctx, wailsRuntime{ctx: ctx})
			if onReady != nil {
				onReady(svc.QuitNow)
			}
		},
		OnDomReady: func(ctx context.Context) {
			wrt.WindowShow(ctx)
			slog.Info("window shown") // make bench times first paint from this line
		},
		OnBeforeClose: func(ctx context.Context) bool {
			saveGeometry(ctx)
			return svc.BeforeClose()
		},
		Linux: &linux.Options{ProgramName: "neurodeskapp", WebviewGpuPolicy: linux.WebviewGpuPolicyOnDemand},
		Mac: &mac.Options{
			TitleBar: mac.TitleBarDefault(),
			About:    &mac.AboutInfo{Title: "Neurodesk", Message: "Neurodesktop on your own computer. Version " + svc.cfg.Version},
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
