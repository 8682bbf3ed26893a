package ui

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/charmbracelet/x/ansi"
)

// alignRunbook has step ids of very different lengths.
const alignRunbook = `id: align
title: Ids of many lengths
sections:
  - id: one
    title: First section
    steps:
      - id: a
        title: Alpha checks the host
        kind: manual
        checklist: [It is so]
      - id: db
        title: Bravo checks the database
        kind: manual
        checklist: [It is so]
  - id: two
    title: Second section
    steps:
      - id: compose-no-literal-secrets
        title: Charlie finds no secret in the file
        kind: manual
        checklist: [It is so]
      - id: smoke
        title: Delta loads the home page
        kind: manual
        checklist: [It is so]
`

// TestStepListTitlesLineUp: in a list wide enough for titles (a 300- and a
// 160-column terminal), every step's title starts in the same column,
// however long its id (at 160 columns, but for an id too long to leave
// its title room); at 80x24 the screen still fits, the list's ids (a long
// one shortened in its middle) in one column.
func TestStepListTitlesLineUp(t *testing.T) {
	ids := []string{"a", "db", "compose-no-literal-secrets", "smoke"}
	titles := []string{"Alpha", "Bravo", "Charlie", "Delta"}
	for _, size := range []struct{ w, h int }{{300, 80}, {160, 50}, {80, 24}} {
		opts := testOpts(t, newFakeExec("web1"))
		opts.Runbooks = fstest.MapFS{"align.yaml": {Data: []byte(alignRunbook)}}
		opts.Runbook, opts.Host = "align", "web1"
		m := startedWith(t, opts, size.w, size.h)
		view := m.View().Content
		checkFits(t, view, size.w, size.h)
		plain := strings.Split(ansi.Strip(view), "\n")
		idCol, titleCol := map[int]bool{}, map[int]bool{}
		for i, id := range ids {
			shown := id
			if size.w < 144 && len(id) > 20 {
				shown = "compose…secrets" // a narrow list shortens it in its middle
			}
			row := ""
			for _, l := range plain {
				list, _, _ := strings.Cut(l, "│")
				if strings.Contains(list+" ", " "+shown+" ") {
					row = list
					break
				}
			}
			if row == "" {
				t.Fatalf("%dx%d: no list row with the id %s:\n%s", size.w, size.h, shown, ansi.Strip(view))
			}
			idCol[ansi.StringWidth(row[:strings.Index(row, " "+shown)+1])] = true
			if size.w < 144 { // the list is too narrow for titles
				continue
			}
			if size.w < 200 && len(id) > 20 {
				// A 52-column list: this id would leave its title no
				// room in the column, so it pushes its own title along.
				continue
			}
			at := strings.Index(row, titles[i])
			if at < 0 {
				t.Fatalf("%dx%d: row of %s lacks its title: %q", size.w, size.h, id, row)
			}
			titleCol[ansi.StringWidth(row[:at])] = true
		}
		if len(idCol) != 1 {
			t.Errorf("%dx%d: the ids start in %d columns, want one:\n%s", size.w, size.h, len(idCol), ansi.Strip(view))
		}
		if size.w >= 144 && len(titleCol) != 1 {
			t.Errorf("%dx%d: the titles start in %d columns %v, want one:\n%s", size.w, size.h, len(titleCol), titleCol, ansi.Strip(view))
		}
	}
}
