package ui

import (
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// checkedView is a web view whose picture is img.
type checkedView struct{ img image.Image }

func (checkedView) Load(string)         {}
func (checkedView) SetZoom(float64)     {}
func (checkedView) Installed() []string { return []string{"new windows", "title"} }
func (v checkedView) Snapshot(p string) error {
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	defer f.Close()
	return png.Encode(f, v.img)
}

func picture(colours int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 300, 200))
	for x := 0; x < 300; x++ {
		for y := 0; y < 200; y++ {
			img.Set(x, y, color.RGBA{uint8(x * colours / 300 * 20), 40, 90, 255})
		}
	}
	return img
}

// The report says what failed: a launcher that never painted, a blank
// window, hooks that did not attach; a good run is ok with the picture.
func TestSelfCheckReport(t *testing.T) {
	for name, tc := range map[string]struct {
		paint     bool
		view      checkedView
		attachErr error
		says      string
	}{
		"good":          {true, checkedView{picture(12)}, nil, ""},
		"never painted": {false, checkedView{picture(12)}, nil, "did not paint"},
		"blank":         {true, checkedView{picture(1)}, nil, "blank"},
		"no hooks":      {true, checkedView{picture(12)}, errors.New("this Wails keeps it elsewhere"), "native hooks: this Wails keeps it elsewhere"},
	} {
		t.Run(name, func(t *testing.T) {
			c := NewSelfCheck(filepath.Join(t.TempDir(), "out"), "3.0.0", "linux/amd64")
			c.Timeout = 300 * time.Millisecond
			c.shown()
			if tc.paint {
				c.launcherPainted()
			}
			quit := make(chan bool, 1)
			c.run(tc.view, tc.attachErr, func() { quit <- true })
			r := c.Result()
			b, err := os.ReadFile(filepath.Join(c.Dir, "self-check.json"))
			if err != nil || !<-quit {
				t.Fatalf("no report (%v) or no quit", err)
			}
			if tc.says == "" {
				if !r.OK || r.Screenshot == "" || len(r.Hooks) != 2 || !strings.Contains(string(b), `"ok": true`) {
					t.Errorf("a good run: %s", b)
				}
				return
			}
			if r.OK || !strings.Contains(strings.Join(r.Failures, "\n"), tc.says) || !strings.Contains(string(b), `"ok": false`) {
				t.Errorf("want a failure saying %q: %s", tc.says, b)
			}
		})
	}
}
