package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

// cmdVersion prints golive's version the way Go tools do: the main module's
// version ("(devel)" for a build from a checkout), the VCS revision, time and
// a "modified" mark when the build recorded them, and the Go version it was
// built with. It takes no arguments.
func cmdVersion(args []string, stdout, stderr io.Writer) int {
	for _, a := range args {
		switch a {
		case "-h", "--help", "-help":
			fmt.Fprintln(stdout, "Usage: golive version\n\nPrints golive's version, the commit it was built from when known, and the Go version.")
			return 0
		}
	}
	if len(args) > 0 {
		fmt.Fprintf(stderr, "golive version: takes no arguments, got %q; run 'golive version'\n", strings.Join(args, " "))
		return 2
	}
	info, ok := debug.ReadBuildInfo()
	fmt.Fprintln(stdout, versionLine(info, ok))
	return 0
}

// binaryVersion is what the journal and the transcript record of the
// binary: version when the build set it, else what 'golive version' prints
// without the leading "golive " ("(devel) (rev 0123456789ab, modified,
// TIME) go1.25.1"), so that a transcript names the build a reviewer can ask
// the operator's 'golive version' about; it recorded "dev" for every build.
func binaryVersion() string {
	if version != "dev" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	return strings.TrimPrefix(versionLine(info, ok), "golive ")
}

// versionLine renders build info as "golive VERSION (rev REV, modified, TIME) GOVERSION".
// Without build info it names only the Go version the binary runs with.
func versionLine(info *debug.BuildInfo, ok bool) string {
	if !ok || info == nil {
		return "golive (unknown version: no build info) " + runtime.Version()
	}
	ver := info.Main.Version
	if ver == "" {
		ver = "(devel)"
	}
	var rev, when string
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	var extra []string
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		extra = append(extra, "rev "+rev)
	}
	if modified {
		extra = append(extra, "modified")
	}
	if when != "" {
		extra = append(extra, when)
	}
	line := "golive " + ver
	if len(extra) > 0 {
		line += " (" + strings.Join(extra, ", ") + ")"
	}
	goVer := info.GoVersion
	if goVer == "" {
		goVer = runtime.Version()
	}
	return line + " " + goVer
}
