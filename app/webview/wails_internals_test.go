//go:build !windows

package webview

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestWailsInternalsTheHooksReach reads the pinned Wails' own sources for
// what the Windows and macOS hooks take from its unexported parts
// (hooks_windows.go reaches them by reflection, hooks_darwin.m through the
// view's delegates). A Wails upgrade that moves any of them fails here; at
// run time the hooks then fail to attach and the window keeps Wails'
// defaults. Not under Wine: it needs the Go module cache.
func TestWailsInternalsTheHooksReach(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/wailsapp/wails/v2").Output()
	if err != nil {
		t.Fatalf("find the pinned Wails: %v", err)
	}
	wails := strings.TrimSpace(string(out))
	read := func(rel string) string {
		b, err := os.ReadFile(filepath.Join(wails, rel))
		if err != nil {
			t.Fatalf("Wails has no %s: %v", rel, err)
		}
		return string(b)
	}

	// Windows: ctx.Value("frontend") is the *windows.Frontend ...
	if !strings.Contains(read("internal/app/app_production.go"), `context.WithValue(ctx, "frontend", appFrontend)`) {
		t.Error(`Wails' production app no longer puts its frontend in the context as "frontend"`)
	}
	win := "internal/frontend/desktop/windows/"
	structs, methods := goDecls(t, filepath.Join(wails, win), filepath.Join(wails, win, "winc"))
	// ... whose chromium is go-webview2's and whose mainWindow is a *Window ...
	for field, typ := range map[string]string{"chromium": "*edge.Chromium", "mainWindow": "*Window"} {
		if got := structs["Frontend"][field]; got != typ {
			t.Errorf("windows.Frontend.%s is %q, the hooks take it as %s", field, got, typ)
		}
	}
	// ... a Window is a winc.Form, a Form a ControlBase, whose Invoke and
	// Handle the hooks call.
	if structs["Window"]["winc.Form"] != "embedded" || structs["Form"]["ControlBase"] != "embedded" {
		t.Errorf("windows.Window no longer embeds winc.Form embedding ControlBase: %v %v", structs["Window"], structs["Form"])
	}
	for name, sig := range map[string]string{"Invoke": "func(f func()) bool", "Handle": "func() w32.HWND"} {
		if got := methods["ControlBase."+name]; got != sig {
			t.Errorf("winc.ControlBase.%s is %q, the hooks call %s", name, got, sig)
		}
	}
	// Handle's result is read as a uintptr.
	if types := read(win + "winc/w32/typedef.go"); !regexp.MustCompile(`(?m)^\s*HWND\s*=\s*HANDLE$`).MatchString(types) || !regexp.MustCompile(`(?m)^\s*HANDLE\s*=\s*uintptr$`).MatchString(types) {
		t.Error("w32.HWND is no longer a uintptr")
	}

	// macOS: the WKWebView in the window's content view has Wails'
	// WailsContext as both of its delegates.
	ctx := read("internal/frontend/desktop/darwin/WailsContext.m")
	for _, want := range []string{"[contentView addSubview:self.webview]", "[self.webview setNavigationDelegate:self]", "self.webview.UIDelegate = self"} {
		if !strings.Contains(ctx, want) {
			t.Errorf("Wails' WailsContext.m no longer has %q", want)
		}
	}
}

// goDecls lists the structs' fields (name -> type, "embedded" for embedded
// ones, named by their type) and the methods (Type.Name -> signature) of
// the Go files in dirs.
func goDecls(t *testing.T, dirs ...string) (map[string]map[string]string, map[string]string) {
	t.Helper()
	structs, methods := map[string]map[string]string{}, map[string]string{}
	fset := token.NewFileSet()
	src := func(n ast.Node) string {
		f := fset.File(n.Pos())
		b, _ := os.ReadFile(f.Name())
		return string(b[f.Offset(n.Pos()):f.Offset(n.End())])
	}
	for _, dir := range dirs {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, name := range files {
			file, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range file.Decls {
				switch d := d.(type) {
				case *ast.GenDecl:
					for _, spec := range d.Specs {
						ts, ok := spec.(*ast.TypeSpec)
						if !ok {
							continue
						}
						st, ok := ts.Type.(*ast.StructType)
						if !ok {
							continue
						}
						fields := map[string]string{}
						for _, f := range st.Fields.List {
							if len(f.Names) == 0 {
								fields[src(f.Type)] = "embedded"
							}
							for _, n := range f.Names {
								fields[n.Name] = src(f.Type)
							}
						}
						structs[ts.Name.Name] = fields
					}
				case *ast.FuncDecl:
					if d.Recv == nil || len(d.Recv.List) != 1 {
						continue
					}
					recv := strings.TrimPrefix(src(d.Recv.List[0].Type), "*")
					sig := "func" + src(d.Type.Params)
					if d.Type.Results != nil {
						sig += " " + src(d.Type.Results)
					}
					methods[recv+"."+d.Name.Name] = sig
				}
			}
		}
	}
	return structs, methods
}
