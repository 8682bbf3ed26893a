package runbook

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
)

// ErrNotFound is returned (wrapped) by Load when no runbook has that name.
var ErrNotFound = errors.New("runbook: not found")

// Load parses the runbook called name from fsys (the built-in runbooks are
// runbooks.FS). "non-docker" and "non-docker.yaml" both name
// non-docker.yaml. It returns an error wrapping ErrNotFound, listing the
// runbooks there are, when there is no such file, and the Errors of Parse
// when the file is broken.
func Load(fsys fs.FS, name string) (*Runbook, error) {
	file := name
	if !strings.HasSuffix(file, ".yaml") && !strings.HasSuffix(file, ".yml") {
		file += ".yaml"
	}
	if !fs.ValidPath(file) {
		return nil, &notFoundError{fmt.Sprintf("no built-in runbook is called %q", name)}
	}
	data, err := fs.ReadFile(fsys, file)
	if errors.Is(err, fs.ErrNotExist) {
		ids, _ := builtinIDs(fsys)
		return nil, &notFoundError{fmt.Sprintf("no built-in runbook %q (there are: %s); give a file path to use your own",
			name, strings.Join(ids, ", "))}
	}
	if err != nil {
		return nil, fmt.Errorf("read runbook %s: %w", file, err)
	}
	return Parse(file, data)
}

// LoadFile parses the runbook file at path (on disk). Problems name the
// path as given.
func LoadFile(path string) (*Runbook, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read runbook: %w", err)
	}
	return Parse(path, data)
}

// List parses every *.yaml file at the root of fsys, sorted by file name.
// It returns the runbooks that parse, and an error joining the problems of
// those that do not.
func List(fsys fs.FS) ([]*Runbook, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, fmt.Errorf("list runbooks: %w", err)
	}
	sort.Strings(names)
	var out []*Runbook
	var errs []error
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			errs = append(errs, fmt.Errorf("read runbook %s: %w", name, err))
			continue
		}
		rb, err := Parse(name, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, rb)
	}
	return out, errors.Join(errs...)
}

// builtinIDs returns the names of the runbook files in fsys, without
// extension.
func builtinIDs(fsys fs.FS) ([]string, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	for i, n := range names {
		names[i] = strings.TrimSuffix(path.Base(n), ".yaml")
	}
	sort.Strings(names)
	return names, err
}

// StepCount returns the number of steps in the runbook.
func (r *Runbook) StepCount() int {
	n := 0
	for _, s := range r.Sections {
		n += len(s.Steps)
	}
	return n
}

// notFoundError is Load's error for a name no runbook has: it is
// ErrNotFound (errors.Is) without ending its words in ": runbook: not
// found", which said again what the sentence had said.
type notFoundError struct{ msg string }

func (e *notFoundError) Error() string { return e.msg }

// Is makes errors.Is(err, ErrNotFound) hold.
func (e *notFoundError) Is(target error) bool { return target == ErrNotFound }
