package runbooks_test

import (
	"bufio"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// coverageRow is one row of docs/seed-coverage.md's map.
type coverageRow struct {
	line  int
	key   string
	item  string
	steps map[string][]string // runbook id -> step ids
}

var (
	rowKey  = regexp.MustCompile(`^(Q|H|S\d+|ND|DK|M|E|R|L|X)\.\d+$`)
	stepRef = regexp.MustCompile("`([a-z0-9-]+):([a-z0-9-]+)`")
)

// readCoverage parses the map's table rows.
func readCoverage(t *testing.T, path string) []coverageRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []coverageRow
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "|") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		key := strings.TrimSpace(cells[0])
		if !rowKey.MatchString(key) {
			continue
		}
		if len(cells) != 4 {
			t.Errorf("%s:%d: row %s has %d cells, want 4 (key, item, non-docker, docker)", path, n, key, len(cells))
			continue
		}
		row := coverageRow{line: n, key: key, item: strings.TrimSpace(cells[1]), steps: map[string][]string{}}
		for i, want := range []string{"non-docker", "docker"} {
			for _, m := range stepRef.FindAllStringSubmatch(cells[2+i], -1) {
				if m[1] != want {
					t.Errorf("%s:%d: %s: %s:%s is in the %s column", path, n, key, m[1], m[2], want)
				}
				row.steps[m[1]] = append(row.steps[m[1]], m[2])
			}
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestSeedCoverageMap(t *testing.T) {
	const path = "../docs/seed-coverage.md"
	rbs := loadAll(t)
	rows := readCoverage(t, path)

	seen := map[string]bool{}
	used := map[string]map[string]bool{}
	perGroup := map[string]int{}
	for _, r := range rows {
		if seen[r.key] {
			t.Errorf("%s:%d: key %s appears twice", path, r.line, r.key)
		}
		seen[r.key] = true
		perGroup[r.key[:strings.LastIndex(r.key, ".")]]++
		total := 0
		for id, steps := range r.steps {
			rb := rbs[id]
			if rb == nil {
				t.Errorf("%s:%d: %s names unknown runbook %q", path, r.line, r.key, id)
				continue
			}
			for _, st := range steps {
				if rb.Step(st) == nil {
					t.Errorf("%s:%d: %s names %s:%s, which does not exist", path, r.line, r.key, id, st)
					continue
				}
				if used[id] == nil {
					used[id] = map[string]bool{}
				}
				used[id][st] = true
				total++
			}
		}
		if total == 0 {
			t.Errorf("%s:%d: %s (%s) is covered by no step", path, r.line, r.key, r.item)
		}
		switch {
		case strings.HasPrefix(r.key, "ND.") && len(r.steps["non-docker"]) == 0:
			t.Errorf("%s:%d: %s is a non-Docker checklist item with no non-docker step", path, r.line, r.key)
		case strings.HasPrefix(r.key, "DK.") && len(r.steps["docker"]) == 0:
			t.Errorf("%s:%d: %s is a Docker checklist item with no docker step", path, r.line, r.key)
		case (strings.HasPrefix(r.key, "R.") || strings.HasPrefix(r.key, "L.")) &&
			(len(r.steps["docker"]) == 0 || len(r.steps["non-docker"]) == 0):
			t.Errorf("%s:%d: %s must be covered by both runbooks", path, r.line, r.key)
		}
	}

	// The seeds' lists have fixed lengths; the map must list them all.
	want := map[string]int{"Q": 10, "H": 5, "ND": 11, "DK": 10, "M": 6, "E": 4, "R": 12, "L": 11}
	for s := 1; s <= 13; s++ {
		want["S"+strconv.Itoa(s)] = 1 // at least one item per section
	}
	for group, n := range want {
		got := perGroup[group]
		if strings.HasPrefix(group, "S") && got >= n || got == n {
			continue
		}
		t.Errorf("%s: group %s has %d rows, want %d", path, group, got, n)
	}

	// Every step of every runbook is accounted for in the map.
	for id, rb := range rbs {
		for _, ss := range rb.Steps() {
			if !used[id][ss.Step.ID] {
				t.Errorf("%s: step %s:%s is in no row of the map", path, id, ss.Step.ID)
			}
		}
	}
}
