package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
)

// TestUIAccessibility reads Chromium's accessibility tree of each screen of
// the launcher (the first screen, Settings, the progress of a start, the
// error of a failed one) and fails on a control a screen reader cannot
// name; on the launcher and in Settings it presses Tab round the page and
// fails on a control it never reaches, one it cannot leave, or one whose
// focus cannot be seen; during a start, status lines are written only when
// their words change, so each change is announced once.
func TestUIAccessibility(t *testing.T) {
	w := newWorld(t)
	w.s.registry.Throttle(2 << 20) // the progress stays on screen
	defer w.s.registry.Throttle(0)
	app := w.startGUI()
	ctx := browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(app.url), chromedp.WaitVisible(chromedp.CSS(`#engine-dot.ok`))); err != nil {
		t.Fatal(err)
	}
	unnamed(t, ctx, "launcher")
	tabRound(t, ctx, "launcher")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#open-settings")), chromedp.WaitVisible(chromedp.CSS("#settings-form"))); err != nil {
		t.Fatal(err)
	}
	unnamed(t, ctx, "settings")
	tabRound(t, ctx, "settings")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#settings-cancel")), chromedp.WaitVisible(chromedp.CSS("#launcher")),
		chromedp.Click(chromedp.CSS("#start")), chromedp.WaitVisible(chromedp.CSS(`#progress-bar[aria-valuenow]`))); err != nil {
		t.Fatal(err)
	}
	unnamed(t, ctx, "progress")
	// While the pull moves, the launcher is drawn many times a second: a
	// status line whose words did not change is not written again, so a
	// screen reader says each change once.
	watch := `window.__rewrites = 0; new MutationObserver((records) => { for (const r of records) {
	    if (!r.target.closest?.("[aria-live], [role=status], [role=alert]")) continue;
	    const was = [...r.removedNodes].map((n) => n.textContent).join(""), now = [...r.addedNodes].map((n) => n.textContent).join("");
	    if (r.type === "childList" && was === now) window.__rewrites++;
	  } }).observe(document.body, { subtree: true, childList: true, characterData: true }); true`
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](watch)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.__rewrites`)); err != nil || n != 0 {
		t.Errorf("status lines were written again with the same words %d times in 2 s of a pull (%v)", n, err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#cancel")), chromedp.WaitVisible(chromedp.CSS("#launcher"))); err != nil {
		t.Fatalf("cancel the start: %v", err)
	}

	w.s.registry.Throttle(0)
	w.s.registry.Put("vnmd/neurodesktop", w.tag, w.s.failing)
	defer w.s.registry.Put("vnmd/neurodesktop", w.tag, w.s.good)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#start")), chromedp.WaitVisible(chromedp.CSS("#error"))); err != nil {
		t.Fatal(err)
	}
	unnamed(t, ctx, "error")
}

// controlRoles are the roles a person operates: each needs a name.
var controlRoles = []string{"button", "link", "textbox", "combobox", "checkbox", "spinbutton", "radio", "switch", "slider", "menuitem", "listbox", "searchbox"}

// unnamed fails on every control of the shown screen without an accessible name.
func unnamed(t *testing.T, ctx context.Context, screen string) {
	t.Helper()
	var nodes []*accessibility.Node
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		r, err := cdp.Call(ctx, tg, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
		nodes = r.Nodes
		return err
	}))
	if err != nil {
		t.Fatalf("%s: the accessibility tree: %v", screen, err)
	}
	controls := 0
	for _, n := range nodes {
		role := axString(n.Role)
		if n.Ignored || !slices.Contains(controlRoles, role) {
			continue
		}
		controls++
		if strings.TrimSpace(axString(n.Name)) == "" {
			t.Errorf("%s: a %s has no accessible name (DOM node %d)", screen, role, n.BackendDOMNodeID)
		}
	}
	if controls < 2 {
		t.Errorf("%s: only %d controls in the accessibility tree: not the screen", screen, controls)
	}
}

func axString(v *accessibility.Value) string {
	if v == nil || len(v.Value) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(v.Value, &s) != nil {
		return ""
	}
	return s
}

// tabRound presses Tab until focus comes round again and checks that it
// met every visible control of the page, moved on from each, and showed
// where it was each time.
func tabRound(t *testing.T, ctx context.Context, screen string) {
	t.Helper()
	const focusables = `[...document.querySelectorAll("button, input, select, textarea, a[href], summary, [tabindex]")]
	  .filter((e) => !e.disabled && e.tabIndex >= 0 && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden"
	    && !(e.closest("details:not([open])") && e.tagName !== "SUMMARY"))` // a closed disclosure's content is not there to reach
	want, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](focusables+`.map((e, i) => e.id || e.name || e.tagName + "#" + i)`))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](`document.activeElement?.blur(), window.focus(), true`)(ctx, tg)
		return err
	})); err != nil {
		t.Fatal(err)
	}
	var seen []string
	stuck := 0
	for i := 0; i < 3*len(want)+5; i++ {
		if err := chromedp.Do(ctx, chromedp.KeyEvent("\t")); err != nil {
			t.Fatal(err)
		}
		at, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
		  const e = document.activeElement, all = `+focusables+`;
		  if (!e || e === document.body) return ["", ""];
		  const id = e.id || e.name || e.tagName + "#" + all.indexOf(e);
		  const s = getComputedStyle(e);
		  return [id, s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0 ? "visible" : "unseen"];
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		if at[0] == "" {
			continue // past the last control, in the browser's own bar
		}
		if at[1] != "visible" {
			t.Errorf("%s: the focus on %s cannot be seen", screen, at[0])
		}
		if len(seen) > 0 && seen[len(seen)-1] == at[0] {
			if stuck++; stuck > 2 {
				t.Fatalf("%s: Tab cannot leave %s", screen, at[0])
			}
			continue
		}
		if slices.Contains(seen, at[0]) {
			break // round again
		}
		seen = append(seen, at[0])
	}
	for _, id := range want {
		if !slices.Contains(seen, id) {
			t.Errorf("%s: Tab never reaches %s (reached %s)", screen, id, strings.Join(seen, " "))
		}
	}
	if t.Failed() {
		t.Logf("%s: focusable %s", screen, fmt.Sprint(want))
	}
}
