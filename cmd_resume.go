package main

import (
	"fmt"
	"io"
)

func cmdResume(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "golive resume: not built yet")
	return 2
}
