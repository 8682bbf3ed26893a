package main

import (
	"fmt"
	"io"
)

func cmdValidate(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "golive validate: not built yet")
	return 2
}
