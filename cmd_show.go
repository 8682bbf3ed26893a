package main

import (
	"fmt"
	"io"
)

func cmdShow(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "golive show: not built yet")
	return 2
}
