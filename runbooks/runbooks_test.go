package runbooks_test

import (
	"io/fs"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"golive/runbook"
	"golive/runbooks"
)

// loadAll parses every built-in runbook with the real parser.
func loadAll(t *testing.T) map[string]*runbook.Runbook {
	t.Helper()
	names, err := fs.Glob(runbooks.FS, "*.yaml")
	if err != nil || len(names) == 0 {
		t.Fatalf("no runbooks embedded: %v", err)
	}
	out := map[string]*runbook.Runbook{}
	for _, name := range names {
		rb, err := runbook.Load(runbooks.FS, name)
		if err != nil {
			t.Fatalf("built-in runbook %s does not parse:\n%v", name, err)
		}
		if rb.ID+".yaml" != name {
			t.Errorf("%s: id %q does not match the file name", name, rb.ID)
		}
		out[rb.ID] = rb
	}
	for _, id := range []string{"non-docker", "docker", runbooks.Default} {
		if out[id] == nil {
			t.Fatalf("built-in runbook %q is missing", id)
		}
	}
	return out
}

// allFlagsOn returns variable values turning every optional part on.
func allFlagsOn(rb *runbook.Runbook) map[string]string {
	vars := map[string]string{}
	for _, v := range rb.Variables {
		if v.Default == "true" || v.Default == "false" {
			vars[v.Name] = "true"
		}
	}
	vars["external_urls"] = "https://api.example.net/status"
	vars["image_tag"] = "2026.11.21"
	vars["release_ref"] = "v1.2.3"
	for k := range vars {
		if rb.Variable(k) == nil {
			delete(vars, k)
		}
	}
	return vars
}

func TestBuiltinRunbooksRender(t *testing.T) {
	for id, rb := range loadAll(t) {
		cases := map[string]map[string]string{
			"defaults":    nil,
			"uses_celery": {"uses_celery": "true"},
			"everything":  allFlagsOn(rb),
		}
		for name, vars := range cases {
			plan, err := rb.Plan(vars)
			if err != nil {
				t.Errorf("%s with %s: %v", id, name, err)
				continue
			}
			if len(plan.Steps) != rb.StepCount() {
				t.Errorf("%s with %s: %d planned steps, runbook has %d", id, name, len(plan.Steps), rb.StepCount())
			}
			applicable := 0
			for _, ps := range plan.Steps {
				if ps.Applicable {
					applicable++
				}
				if ps.Step.Kind == runbook.KindManual {
					continue
				}
				// The rendered script must be valid shell.
				cmd := exec.Command("sh", "-n")
				cmd.Stdin = strings.NewReader(ps.Script)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("%s step %q (%s): rendered script is not valid sh: %v\n%s\n%s", id, ps.Step.ID, name, err, out, ps.Script)
				}
			}
			if name == "everything" && applicable != len(plan.Steps) {
				for _, ps := range plan.Steps {
					// Steps for the other variant (when: '!proxy_in_compose') stay off.
					if !ps.Applicable && !strings.Contains(ps.Step.When, "!") {
						t.Errorf("%s: step %q stays not applicable with every flag on (%s)", id, ps.Step.ID, ps.Reason)
					}
				}
			}
		}
		// uses_celery must switch the Celery steps on.
		def, _ := rb.Plan(nil)
		cel, _ := rb.Plan(map[string]string{"uses_celery": "true"})
		if def == nil || cel == nil {
			continue
		}
		if def.Step("celery-ping-after").Applicable || !cel.Step("celery-ping-after").Applicable {
			t.Errorf("%s: celery-ping-after should run only when uses_celery is true", id)
		}
	}
}

func TestBuiltinStepsAreComplete(t *testing.T) {
	for id, rb := range loadAll(t) {
		if n := rb.StepCount(); n < 60 {
			t.Errorf("%s: only %d steps; the seeds need more", id, n)
		}
		for _, ss := range rb.Steps() {
			st := ss.Step
			where := id + " step " + st.ID
			if len(strings.TrimSpace(st.Why)) < 20 {
				t.Errorf("%s: why is missing or too short: %q", where, st.Why)
			}
			if strings.Count(strings.TrimSpace(st.Why), "\n") > 1 {
				t.Errorf("%s: why should be one or two lines", where)
			}
			if st.Risk != runbook.RiskLow && strings.TrimSpace(st.Rollback) == "" {
				t.Errorf("%s: risk %s changes state but has no rollback note", where, st.Risk)
			}
			if st.Kind == runbook.KindManual && len(st.Checklist) == 0 {
				t.Errorf("%s: manual step without a checklist", where)
			}
			if st.Kind != runbook.KindManual && len(st.Expect.Match) == 0 && len(st.Expect.NotMatch) == 0 &&
				!strings.Contains(st.ID, "logs") && !strings.HasPrefix(st.ID, "record-") && st.ID != "admin-exposure" {
				t.Errorf("%s: a command with no output expectation proves only its exit code; add match or not_match", where)
			}
			if strings.Contains(st.Command, "sudo ") {
				t.Errorf("%s: write sudo: true instead of sudo in the command", where)
			}
		}
	}
}

// stateChanging are steps that change the release host: they must carry
// a high risk (typed confirmation) and a rollback note.
var stateChanging = regexp.MustCompile(`^(migrate|restart-(gunicorn|asgi|celery|beat)|start-dependencies|up-web|up-workers|up-asgi)$`)

func TestRiskAndOrder(t *testing.T) {
	rbs := loadAll(t)
	for id, rb := range rbs {
		for _, ss := range rb.Steps() {
			if stateChanging.MatchString(ss.Step.ID) && ss.Step.Risk != runbook.RiskHigh {
				t.Errorf("%s step %q changes the live system but has risk %s, want high", id, ss.Step.ID, ss.Step.Risk)
			}
		}
		if st := rb.Step("migrate-plan"); st == nil || st.Risk != runbook.RiskMedium {
			t.Errorf("%s: migrate-plan must exist with risk medium", id)
		}
	}
	// The seeds' explicit orders: checks before the release, migrations
	// before restarts, dependencies before web, verification last.
	orders := map[string][]string{
		"non-docker": {"server-identity", "env-required", "debug-off", "secret-key-git-history", "db-postgres",
			"backup-recent", "rollback-plan", "check-deploy", "run-tests", "migrate-check-before", "pull-code",
			"install-deps", "migrations-pending", "migrate-plan", "migrate", "migrate-check-after", "collectstatic",
			"restart-gunicorn", "restart-celery", "restart-beat", "nginx-reload", "health-check", "security-headers",
			"no-debug-404", "celery-ping-after", "smoke-browser", "watch-logs"},
		"docker": {"server-identity", "image-tag", "env-required", "debug-off", "db-postgres", "backup-recent",
			"rollback-plan", "compose-ps", "check-deploy", "migrate-check-before", "compose-pull", "start-dependencies",
			"migrations-pending", "migrate-plan", "migrate", "collectstatic", "up-web", "web-logs-after", "up-workers",
			"health-check", "no-debug-404", "celery-ping-after", "smoke-browser", "watch-logs"},
	}
	for id, want := range orders {
		rb := rbs[id]
		pos := map[string]int{}
		for i, ss := range rb.Steps() {
			pos[ss.Step.ID] = i
		}
		for i, stepID := range want {
			if _, ok := pos[stepID]; !ok {
				t.Errorf("%s: step %q is missing", id, stepID)
				continue
			}
			if i > 0 && pos[want[i-1]] > pos[stepID] {
				t.Errorf("%s: step %q must come after %q", id, stepID, want[i-1])
			}
		}
	}
}

// TestStepConventions checks how steps run, the way an operator would by
// hand: Django commands as the deploy user inside the prelude's virtualenv
// (root running manage.py leaves root-owned files behind), local steps
// only with the operator's own paths, and every step bounded in time.
func TestStepConventions(t *testing.T) {
	serverPaths := regexp.MustCompile(`\{\{\s*(app_dir|env_file|venv|project_dir|media_dir|backup_dir)\s*\}\}`)
	for id, rb := range loadAll(t) {
		for _, ss := range rb.Steps() {
			st := ss.Step
			where := id + " step " + st.ID
			runsDjango := strings.Contains(st.Command, "manage.py")
			if runsDjango && st.Kind == runbook.KindRemote && st.NoPrelude && !strings.Contains(st.Command, "docker compose") {
				t.Errorf("%s: runs manage.py without the prelude (no env file, no virtualenv)", where)
			}
			if runsDjango && st.Sudo {
				t.Errorf("%s: runs manage.py as root; run it as the deploy user", where)
			}
			if st.Kind == runbook.KindLocal && serverPaths.MatchString(st.Command) {
				t.Errorf("%s: a local step uses a server path (%s)", where, serverPaths.FindString(st.Command))
			}
			if st.Kind != runbook.KindManual && (st.Timeout <= 0 || st.Timeout > 30*time.Minute) {
				t.Errorf("%s: timeout %s; set one of at most 30m", where, st.Timeout)
			}
			if st.Risk == runbook.RiskHigh && st.Kind == runbook.KindManual {
				t.Errorf("%s: a manual step cannot be high risk", where)
			}
		}
	}
}

// secretLeak finds commands that would print a secret value.
var secretLeak = regexp.MustCompile(`(?m)(^|[;&|]\s*)(env|printenv|set)\s*($|\|)|printenv\s+\S+\s*($|;|\|)|echo\s+[^\n]*\$\{?[A-Z_]*(SECRET|PASSWORD|TOKEN|DSN|DATABASE_URL|REDIS_URL)|cat\s+[^\n]*(\.env|env_file)`)

func TestNoStepPrintsASecret(t *testing.T) {
	for id, rb := range loadAll(t) {
		for _, ss := range rb.Steps() {
			if m := secretLeak.FindString(ss.Step.Command); m != "" {
				t.Errorf("%s step %q may print a secret: %q", id, ss.Step.ID, m)
			}
		}
	}
	// The detector itself must catch the classic mistakes.
	for _, bad := range []string{"env | grep DJANGO", "printenv DJANGO_SECRET_KEY", `echo "$DJANGO_SECRET_KEY"`, "cat {{env_file}}"} {
		if !secretLeak.MatchString(bad) {
			t.Errorf("leak detector misses %q", bad)
		}
	}
	if secretLeak.MatchString(`printenv "$name" >/dev/null`) {
		t.Error("leak detector flags a redirected printenv")
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestSwitchesRejectTypos: a yes/no variable given a value conditions do
// not know (a typo such as "ture") is refused with the variable's name,
// not read as false, which would silently leave out every step it guards
// (the Celery restarts, the proxy checks); every spelling conditions read
// as true or false is accepted.
func TestSwitchesRejectTypos(t *testing.T) {
	for id, rb := range loadAll(t) {
		n := 0
		for _, v := range rb.Variables {
			if v.Default != "true" && v.Default != "false" {
				continue
			}
			n++
			if _, err := rb.Plan(map[string]string{v.Name: "ture"}); err == nil || !strings.Contains(err.Error(), v.Name) {
				t.Errorf("%s: %s=ture: error %v, want one naming %s", id, v.Name, err, v.Name)
			}
			for _, ok := range []string{"true", "false", "TRUE", "False", "yes", "no", "on", "off", "1", "0", ""} {
				if _, err := rb.Plan(map[string]string{v.Name: ok}); err != nil {
					t.Errorf("%s: %s=%q refused: %v", id, v.Name, ok, err)
				}
			}
		}
		if n < 8 {
			t.Errorf("%s: only %d yes/no variables found", id, n)
		}
	}
}

// TestChecklistHasNoBlanks: a checklist item is a statement the operator
// ticks; golive has no field to fill in, so an item ending in a colon
// (a blank such as "named:") leaves the answer unrecorded unless it says
// where it goes (the sign-off note).
func TestChecklistHasNoBlanks(t *testing.T) {
	for id, rb := range loadAll(t) {
		for _, sec := range rb.Sections {
			for _, st := range sec.Steps {
				for _, item := range st.Checklist {
					if strings.HasSuffix(strings.TrimSpace(item), ":") {
						t.Errorf("%s: step %s: checklist item %q is a blank to fill in; say where the answer goes", id, st.ID, item)
					}
				}
			}
		}
	}
}
