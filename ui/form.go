package ui

import (
	"errors"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"golive/runbook"
)

// fieldKind says what a form field fills in.
type fieldKind int

const (
	fieldHost fieldKind = iota
	fieldOperator
	fieldVar
)

// formField is one input of the variables form.
type formField struct {
	kind             fieldKind
	name, desc       string
	required, secret bool
	input            textinput.Model
}

// varForm asks for what the flags and the profile did not answer: the
// host, the operator, and the runbook's variables, prefilled from (in
// order of precedence) --var flags, the profile and the defaults.
type varForm struct {
	fields []formField
	cur    int
	err    string
	width  int
}

func newVarForm(rb *runbook.Runbook, opts Options, p Profile) varForm {
	var f varForm
	add := func(kind fieldKind, name, desc, value string, required, secret bool) {
		in := newTextInput()
		in.Prompt = ""
		in.CharLimit = 1000
		in.SetValue(value)
		if kind == fieldHost {
			in.Placeholder = hintPlaceholder("web1 · deploy@web1.example.com:22 · local")
		}
		if secret {
			in.EchoMode = textinput.EchoPassword
			in.EchoCharacter = '•'
		}
		f.fields = append(f.fields, formField{kind: kind, name: name, desc: desc, required: required, secret: secret, input: in})
	}
	// Host and operator are always fields, prefilled from the flags: the
	// form opens when a connect failed, and the host must be fixable.
	host := opts.Host
	if host == "" {
		host = p.Host
	}
	add(fieldHost, "host", "where to release: an ~/.ssh/config alias, user@host[:port], or local", host, true, false)
	op := opts.Operator
	if op == "" {
		op = p.Operator
	}
	if op == "" {
		op = opts.DefaultOperator
	}
	add(fieldOperator, "operator", "your name, recorded with every sign-off", op, true, false)
	for _, v := range rb.Variables {
		val := v.Default
		if pv, ok := p.Vars[v.Name]; ok && !v.Secret {
			val = pv
		}
		if fv, ok := opts.Vars[v.Name]; ok {
			val = fv
		}
		add(fieldVar, v.Name, v.Description, val, v.Required, v.Secret)
	}
	if len(f.fields) > 0 {
		f.fields[0].input.Focus()
	}
	return f
}

func (f *varForm) setWidth(w int) {
	f.width = w
	for i := range f.fields {
		f.fields[i].input.SetWidth(max(10, min(w-6, 100)))
	}
}

// values returns the host, operator and variables typed in the form,
// over what opts already gave.
func (f varForm) values(opts Options) (host, operator string, vars map[string]string) {
	host, operator = opts.Host, opts.Operator
	vars = map[string]string{}
	for k, v := range opts.Vars {
		vars[k] = v
	}
	for _, fl := range f.fields {
		v := strings.TrimSpace(fl.input.Value())
		switch fl.kind {
		case fieldHost:
			host = v
		case fieldOperator:
			operator = v
		default:
			vars[fl.name] = v
		}
	}
	if operator == "" && !f.has(fieldOperator) {
		operator = opts.DefaultOperator
	}
	return host, operator, vars
}

func (f varForm) has(k fieldKind) bool {
	for _, fl := range f.fields {
		if fl.kind == k {
			return true
		}
	}
	return false
}

// focus moves the focus to field i.
func (f *varForm) focus(i int) tea.Cmd {
	if len(f.fields) == 0 {
		return nil
	}
	f.fields[f.cur].input.Blur()
	f.cur = (i + len(f.fields)) % len(f.fields)
	return f.fields[f.cur].input.Focus()
}

// updateForm handles a key on the form: tab and shift+tab move, enter
// starts the release if everything checks out.
func (m Model) updateForm(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	f := &m.form
	k := m.keys
	switch {
	case key.Matches(msg, k.NextField):
		cmd := f.focus(f.cur + 1)
		return m, cmd
	case key.Matches(msg, k.PrevField):
		cmd := f.focus(f.cur - 1)
		return m, cmd
	case key.Matches(msg, k.Esc):
		if m.opts.Runbook != "" {
			m.quitting = true
			return m, tea.Quit
		}
		m.state = stateChoose
		m.syncKeys()
		return m, nil
	case key.Matches(msg, k.Submit):
		return m.submitForm()
	}
	if len(f.fields) == 0 {
		return m, nil
	}
	var cmd tea.Cmd
	f.fields[f.cur].input, cmd = f.fields[f.cur].input.Update(msg)
	return m, cmd
}

// submitForm checks the answers with the runbook's own rules (Plan) and
// goes on to connect.
func (m Model) submitForm() (tea.Model, tea.Cmd) {
	host, operator, vars := m.form.values(m.opts)
	var problems []string
	if host == "" {
		problems = append(problems, "host: give an ~/.ssh/config alias, user@host[:port], or local")
	}
	if operator == "" {
		problems = append(problems, "operator: type your name; it is recorded with every sign-off")
	}
	plan, err := m.rb.Plan(vars)
	if err != nil {
		problems = append(problems, formProblems(err)...)
	}
	if len(problems) > 0 {
		m.form.err = strings.Join(problems, "\n")
		return m, nil
	}
	m.form.err = ""
	m.plan = plan
	m.opts.Host, m.opts.Operator = host, operator
	return m.startConnect()
}

// formProblems words the problems of a plan error for the form: a
// variable's value (runbook.VarError) is fixed in its field above, not
// with the command line's --var its Error suggests.
func formProblems(err error) []string {
	var out []string
	for _, e := range planProblems(err) {
		var ve *runbook.VarError
		if errors.As(e, &ve) {
			out = append(out, fmt.Sprintf("%s:%d: %s; fix it in the %s field above", ve.File, ve.Line, ve.Problem, ve.Name))
			continue
		}
		// The form has fields for declared variables only: an undeclared
		// one came from --var, which only a new start can drop.
		text := ErrorText(e)
		if undeclaredVar(e) {
			text += "; it was given with --var: quit (ctrl+c) and run golive again without it, or with its name fixed"
		}
		out = append(out, text)
	}
	return out
}

// formView renders the form, scrolled so the focused field is visible.
func (m Model) formView(h int) string {
	st := m.styles
	f := m.form
	head := []string{st.DialogTitle.Render("Release: " + m.rb.Title),
		st.Hint.Render(fmt.Sprintf("%s · %d steps · tab: next field · enter: start", m.rb.ID, len(m.rb.Steps()))), ""}
	var errLines []string
	if f.err != "" {
		errLines = append(errLines, "", st.FieldErr.Render(wrap("✗ "+f.err, m.width-4)))
	}
	// The focused field's description is wrapped whole; the others keep
	// one line each.
	labelOf := func(i int) string {
		fl := f.fields[i]
		label := fl.name
		if fl.required {
			label += " *"
		}
		if fl.secret {
			label += " (secret: never shown or saved)"
		}
		return label
	}
	var curLines []string
	if f.cur >= 0 && f.cur < len(f.fields) {
		curLines = strings.Split(wrapIndent(st.FieldLabel.Render(labelOf(f.cur))+"  "+st.Hint.Render(f.fields[f.cur].desc), m.width-st.Page.GetHorizontalFrameSize(), "  "), "\n")
	}
	per := 3
	room := max(per, h-len(head)-len(strings.Split(strings.Join(errLines, "\n"), "\n"))-max(0, len(curLines)-1))
	n := max(1, room/per)
	top := max(0, min(f.cur-n/2, len(f.fields)-n))
	var body []string
	for i := top; i < len(f.fields) && i < top+n; i++ {
		fl := f.fields[i]
		if i == f.cur {
			body = append(body, "▸ "+curLines[0])
			body = append(body, curLines[1:]...) // indented by wrapIndent
			body = append(body, "  "+fl.input.View(), "")
			continue
		}
		body = append(body, "  "+st.FieldLabel.Render(labelOf(i))+"  "+st.Hint.Render(fl.desc), "  "+fl.input.View(), "")
	}
	return strings.Join(append(append(head, body...), errLines...), "\n")
}
