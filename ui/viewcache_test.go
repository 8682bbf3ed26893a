package ui

import (
	"fmt"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"golive/runbook"
	"golive/sshexec"
)

// uncached is m's screen rendered with no cache at all: what every
// cached render must equal, byte for byte.
func uncached(m Model) string {
	m.vc = nil
	return m.View().Content
}

// checkCached renders m twice through its cache (a miss, then a hit) and
// compares both with an uncached render.
func checkCached(t *testing.T, what string, m Model) string {
	t.Helper()
	// The statuses the list is keyed on are the Session's now (they are
	// recomputed only when it applied an event).
	for i, id := range m.steps {
		want := m.computeStatus(id)
		if got := m.stepStatusOf(id); got != want || stepStatus(m.statusBytes[i]) != want {
			t.Fatalf("%s: %s shows as %v (list key %v), the Session says %v", what, id, got, stepStatus(m.statusBytes[i]), want)
		}
	}
	want := uncached(m)
	for i := range 2 {
		if got := m.View().Content; got != want {
			t.Fatalf("%s: render %d through the cache differs from an uncached one:\ncached:\n%s\nuncached:\n%s", what, i+1, ansi.Strip(got), ansi.Strip(want))
		}
	}
	return want
}

// TestViewCacheFollowsChanges walks a release through what changes the
// main screen (a run, output, sign-offs, a failure, selection, sizes,
// the help bar, the whole-step view, dialogs, the status line, the
// connection banner, another set of styles) and compares every frame
// with an uncached render; diverging copies of one model share the
// cache and must not see each other's renders.
func TestViewCacheFollowsChanges(t *testing.T) {
	ex := goldenExec()
	ex.on("migrate", &fakeJob{lines: out(sshexec.Stderr, "OperationalError: lock timeout"), res: sshexec.Result{ExitCode: 1}})
	m := started(t, ex, 80, 24)
	if m.vc == nil {
		t.Fatal("New made a Model without a view cache")
	}
	prev := checkCached(t, "start", m)
	step := func(what string, next Model) {
		t.Helper()
		m = next
		got := checkCached(t, what, m)
		if got == prev && what != "hit" {
			t.Logf("%s: the screen did not change", what)
		}
		prev = got
	}
	step("run check", press(t, m, "enter"))
	step("help", press(t, m, "?"))
	step("help off", press(t, m, "?"))
	step("zoom", press(t, m, "z"))
	step("zoom off", press(t, m, "z"))
	for _, size := range [][2]int{{40, 10}, {120, 40}, {300, 80}, {81, 24}, {80, 24}} {
		step(fmt.Sprintf("resize %dx%d", size[0], size[1]), resize(m, size[0], size[1]))
	}
	step("sign off check", press(t, m, "p", "enter"))
	// A copy passes the manual backup step (its checklist is ticked);
	// the release goes on with it skipped.
	passed := sel(press(t, m, "p", "enter"), "backup")
	checkCached(t, "backup passed", passed)
	if !strings.Contains(screen(passed), "☑") {
		t.Fatalf("the passed manual step's checklist is not ticked:\n%s", screen(passed))
	}
	step("skip backup", typeText(t, press(t, m, "s"), "dump verified by DBA"))
	step("skip backup sent", press(t, m, "enter"))
	step("confirm migrate", press(t, m, "enter"))
	step("migrate typed", typeText(t, m, "migrate"))
	step("migrate ran", press(t, m, "enter"))
	step("migrate failed", press(t, m, "f", "enter"))
	for _, k := range []string{"down", "down", "up", "up", "up"} {
		step("move "+k, press(t, m, k))
	}
	// Diverging copies: one moves, one signs off, one shrinks; each
	// renders after the others filled the shared cache.
	a, b, c := press(t, m, "down"), sel(m, "smoke"), resize(m, 100, 30)
	for i := range 2 {
		for name, x := range map[string]Model{"moved": a, "smoke": b, "shrunk": c, "base": m} {
			checkCached(t, fmt.Sprintf("copy %s, round %d", name, i), x)
		}
	}
	m.status, m.statusOK = "a remark long enough to wrap over two lines of an eighty-column terminal, and then some more words", false
	step("status line", m)
	m.banner = "⚠ connection to web1 lost: the step keeps running on the server; reconnecting…"
	step("banner", m)
	// Another theme: a styles set with other colours is another set.
	st := *m.styles
	st.Section = st.Section.Foreground(lipgloss.Color("#00FF00"))
	st.Header = st.Header.Background(lipgloss.Color("#000080"))
	sealed := st.seal()
	m.styles = &sealed
	step("styles", m)
	if !strings.Contains(prev, "\x1b[") {
		t.Fatal("the screen has no colour at all: the styles comparison proves nothing")
	}
}

// TestViewCacheReusesRows checks that a frame after new output is served from
// the cache: the step list and detail are not rendered again (their
// renders are counted by the cache's maps not growing) and the screen is
// the same.
func TestViewCacheReusesRows(t *testing.T) {
	m, frame := streamingModel(t, 160, 50)
	first := m.View().Content
	rows, details := len(m.vc.rows.m), len(m.vc.detail.m)
	if rows == 0 || details == 0 {
		t.Fatalf("nothing cached: %d rows, %d details", rows, details)
	}
	m = frame(m)
	second := m.View().Content
	if len(m.vc.rows.m) != rows || len(m.vc.detail.m) != details {
		t.Fatalf("a frame with only new output rendered rows or details again: rows %d -> %d, details %d -> %d",
			rows, len(m.vc.rows.m), details, len(m.vc.detail.m))
	}
	if first == second {
		t.Fatal("the frame after a batch of output is the same screen (the attempt's line count should change)")
	}
	if got := uncached(m); got != second {
		t.Fatalf("cached frame differs from an uncached render:\n%s\n---\n%s", ansi.Strip(second), ansi.Strip(got))
	}
	// Only the rows in view are rendered: 81 steps, 47 lines of list.
	if rows > 50 {
		t.Fatalf("%d rows rendered for a list of about 47 lines", rows)
	}
}

// TestJoinBodyMatchesLipgloss compares the fast layout of the main
// screen's body and of the output pane with lipgloss's, byte for byte,
// on the built-in runbook mid-run at every size, and on lines lipgloss
// must handle itself (tabs, wide characters, lines too long).
func TestJoinBodyMatchesLipgloss(t *testing.T) {
	for _, size := range [][2]int{{40, 10}, {80, 24}, {120, 40}, {160, 50}, {300, 80}} {
		m, _ := streamingModel(t, size[0], size[1])
		listW, bodyH, detailW, outH := m.mainGeometry()
		list := m.stepListView(listW, bodyH)
		right := []string{m.detailBox(detailW, bodyH-outH), m.pane.view()}
		if got, want := joinBody(m.styles, list, right, detailW, bodyH), joinBodyLipgloss(m.styles, list, right, detailW, bodyH); got != want {
			t.Errorf("%dx%d: joinBody differs from lipgloss:\n%q\n%q", size[0], size[1], got, want)
		}
	}
	st := defaultStyles()
	if !st.fastJoin || !st.fastPane {
		t.Fatalf("the default styles do not take the fast path (join %v, pane %v)", st.fastJoin, st.fastPane)
	}
	odd := []string{
		"plain\nwide 日本語 text\n\x1b[31mred\x1b[0m and a line far too long for the column it is in",
		"tab\there\n" + strings.Repeat("x", 50) + "   \n",
		"emoji 👍🏽 and é\u0301",
	}
	list := strings.Repeat("step\n", 5) + "step"
	for _, w := range []int{5, 12, 30, 80} {
		for _, h := range []int{1, 3, 6, 9} {
			l := strings.Join(strings.Split(list, "\n")[:min(h, 6)], "\n")
			if got, want := joinBody(&st, l, odd, w, h), joinBodyLipgloss(&st, l, odd, w, h); got != want {
				t.Errorf("odd lines at %dx%d:\n%q\n%q", w, h, got, want)
			}
		}
	}
	for _, body := range odd {
		want := st.OutputPane.Render(lipgloss.JoinVertical(lipgloss.Left, "Output · 3 lines", body))
		if got := stackUnderRule(&st, "Output · 3 lines", body); got != want {
			t.Errorf("pane frame differs:\n%q\n%q", got, want)
		}
	}
}

// TestCellWidth compares cellWidth with ansi.StringWidth.
func TestCellWidth(t *testing.T) {
	for _, s := range []string{
		"", "abc", "\x1b[1;38;2;1;2;3mbold\x1b[m", " │ ✓ passed · ▸ ↪ …", "日本語", "e\u0301", "✓\ufe0f", "👍🏽",
		"\x1b]8;;http://x\x07link\x1b]8;;\x07", "tab\there", "\x1b[", "\x1b[31", "\x1b(Bx", "a\x00b", "a\x7fb", "⚠️ warn",
		"\x1b[38;5;200m│\x1b[0m" + strings.Repeat("QmFzZTY0", 20),
	} {
		if got, want := cellWidth(s), ansi.StringWidth(s); got != want {
			t.Errorf("cellWidth(%q) = %d, ansi.StringWidth = %d", s, got, want)
		}
		if got, want := blockWidth(s+"\n"+s+"xy"), lipgloss.Width(s+"\n"+s+"xy"); got != want {
			t.Errorf("blockWidth(%q) = %d, lipgloss.Width = %d", s, got, want)
		}
	}
}

// TestLongIDsAt80x24: in an 80-column terminal the step list has room
// for about 15 characters of a step id. A longer id is never cut
// silently: it loses its middle to "…" (so ids that share a beginning
// stay apart: no two rows read the same), and the selected step's
// detail shows it whole.
func TestLongIDsAt80x24(t *testing.T) {
	m, _ := streamingModel(t, 80, 24)
	m.run = nil // nothing running: any step may be selected
	names := map[string]string{}
	cut := 0
	for _, id := range m.steps {
		m = sel(m, id)
		var row, right string
		for _, l := range strings.Split(screen(m), "\n") {
			left, r, ok := strings.Cut(l, "│")
			if !ok {
				continue
			}
			right += r + "\n"
			if strings.HasPrefix(left, "▸ ") {
				row = left
			}
		}
		if row == "" {
			t.Fatalf("%s: no selected row on the screen:\n%s", id, screen(m))
		}
		// "▸ ✓ word     name": the name is after the status word.
		f := strings.Fields(row)
		if len(f) < 4 {
			t.Fatalf("%s: row %q has no name", id, row)
		}
		name := f[len(f)-1]
		if name != id {
			cut++
			if !strings.Contains(name, "…") {
				t.Errorf("%s: cut without an ellipsis in the list: %q", id, row)
			}
			head, tail, _ := strings.Cut(name, "…")
			if !strings.HasPrefix(id, head) || !strings.HasSuffix(id, tail) {
				t.Errorf("%s: the list shows %q, not a shortening of the id", id, name)
			}
		}
		if !strings.Contains(right, id+" · ") {
			t.Errorf("%s: the detail pane does not show the full id:\n%s", id, right)
		}
		if other, ok := names[name]; ok {
			t.Errorf("%s and %s both read %q in the list", other, id, name)
		}
		names[name] = id
	}
	if cut == 0 {
		t.Fatal("no id was cut at 80 columns: the test proves nothing")
	}
}

// TestViewCacheBounded resizes through hundreds of widths with two steps
// selected in turn: the row and detail maps stay bounded, and what is
// rendered after they start over is still right. Several widths share a
// detail width, so it takes about maxDetails widths to render more than
// maxDetails details.
func TestViewCacheBounded(t *testing.T) {
	m, _ := streamingModel(t, 80, 24)
	a, b := m.steps[m.selected+1], m.steps[m.selected+2] // no output: a cheap pane
	for w := 40; w < 40+maxDetails+10; w++ {
		m = resize(m, w, 30)
		for _, id := range []string{a, b} {
			m = sel(m, id)
			_ = m.View()
			if len(m.vc.rows.m) > maxRows || len(m.vc.detail.m) > maxDetails {
				t.Fatalf("at %d columns the cache holds %d rows and %d details (bounds %d, %d)", w, len(m.vc.rows.m), len(m.vc.detail.m), maxRows, maxDetails)
			}
		}
	}
	if len(m.vc.detail.m) >= maxDetails-2 {
		t.Fatalf("the detail map never started over: %d entries", len(m.vc.detail.m))
	}
	checkCached(t, "after the maps started over", m)
}

// TestViewCacheSecretLearnedLater: a value the redactor learns after the
// step's detail was rendered (a variable entered during the run, the
// sudo password) is masked on the next frame, not kept from the cache.
func TestViewCacheSecretLearnedLater(t *testing.T) {
	m := started(t, goldenExec(), 80, 24)
	m = sel(m, "check")
	if got := checkCached(t, "before", m); !strings.Contains(ansi.Strip(got), "--deploy") {
		t.Fatalf("the command is not on the screen:\n%s", ansi.Strip(got))
	}
	m.rel.Redactor.AddSecret("--deploy")
	if got := checkCached(t, "after", m); strings.Contains(ansi.Strip(got), "--deploy") {
		t.Fatalf("a secret learned after the first frame is still on the screen:\n%s", ansi.Strip(got))
	}
}

// TestShortenIDTellsApart: two long ids that share their beginning and
// their end are shortened so that they still read differently; each is
// a true shortening ("…" in place of some of it).
func TestShortenIDTellsApart(t *testing.T) {
	ids := []string{"migrate-check-before-release", "migrate-check-after-release", "collectstatic", "migrate-check-before"}
	seen := map[string]string{}
	for _, id := range ids {
		got := shortenID(id, 15, ids)
		if len(id) <= 15 {
			continue // fits: never shortened
		}
		head, tail, ok := strings.Cut(got, "…")
		if !ok || cellWidth(got) != 15 || !strings.HasPrefix(id, head) || !strings.HasSuffix(id, tail) {
			t.Errorf("shortenID(%q) = %q: not a 15-cell shortening", id, got)
		}
		if o, ok := seen[got]; ok {
			t.Errorf("%s and %s both read %q", o, id, got)
		}
		seen[got] = id
	}
	if got := shortenID("migrate-check-before", 15, ids); got != "migrate…-before" {
		t.Errorf("an id that reads apart when cut in the middle: %q, want migrate…-before", got)
	}
}

// TestPaneShowsTailFirst: selecting a step with a full ring shows its
// newest lines without loading all 5,000 into the viewport (the cost of
// a j/k key); scrolling up still reaches the oldest line the ring holds,
// and a search still looks at all of them.
func TestPaneShowsTailFirst(t *testing.T) {
	r := newRing()
	r.add(outLines(runbook.StreamStdout, 0, 5000))
	p := newOutputPane(defaultStyles())
	p.setSize(100, 30)
	p.show("step", r)
	if !p.tail || p.vp.TotalLineCount() >= r.len() {
		t.Fatalf("show loaded %d of %d lines (tail %v)", p.vp.TotalLineCount(), r.len(), p.tail)
	}
	if !paneHas(p, "line 4999") {
		t.Fatalf("the newest line is not shown:\n%s", ansi.Strip(p.view()))
	}
	for i := 0; i < 1000 && !paneHas(p, "line 0"); i++ {
		p.scroll(-1)
	}
	if !paneHas(p, "line 0") {
		t.Fatalf("scrolling up did not reach the oldest line:\n%s", ansi.Strip(p.view()))
	}
	q := newOutputPane(defaultStyles())
	q.setSize(100, 30)
	q.show("step", r)
	q.input.SetValue("line 17")
	q, _ = q.updateInput(keyMsg("enter"), defaultKeyMap())
	if len(q.matches) != 111 || q.vp.TotalLineCount() != r.len() { // 17, 170-179, 1700-1799
		t.Fatalf("search after show: %d matches, %d lines loaded", len(q.matches), q.vp.TotalLineCount())
	}
}
