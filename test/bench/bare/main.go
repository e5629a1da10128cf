// Command bare is the smallest Wails window, built like the app, so that
// make bench can compare the app's memory and first paint against it. It
// prints "window shown" on DOM ready, as the app logs it.
package main

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
)

//go:embed index.html
var page embed.FS

func main() {
	assets, _ := fs.Sub(page, ".")
	// The same window options as the app, minus the app.
	err := wails.Run(&options.App{Title: "bare", Width: 1280, Height: 800, AssetServer: &assetserver.Options{Assets: assets},
		OnDomReady: func(context.Context) { fmt.Println("window shown") },
		Linux:      &linux.Options{ProgramName: "bare", WebviewGpuPolicy: linux.WebviewGpuPolicyOnDemand}})
	if err != nil {
		log.Fatal(err)
	}
}
