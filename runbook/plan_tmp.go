package runbook

// TEMPORARY: a copy of the Plan types the parse engineer is writing in
// render.go, so the Session can be built and tested before theirs lands.
// Delete this file when render.go is on main.

// Plan is a runbook with its variables bound: every step with its rendered
// script and whether its condition holds.
type Plan struct {
	Runbook *Runbook
	Vars    map[string]string
	Steps   []PlannedStep
}

// PlannedStep is one step of a Plan.
type PlannedStep struct {
	Section    *Section
	Step       *Step
	Applicable bool
	Script     string
	Display    string
}

// Step returns the planned step with the given id, or nil.
func (p *Plan) Step(id string) *PlannedStep {
	for i := range p.Steps {
		if p.Steps[i].Step.ID == id {
			return &p.Steps[i]
		}
	}
	return nil
}
