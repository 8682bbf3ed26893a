package main

import (
	"fmt"
	"io"
)

func cmdVerify(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "golive verify: not built yet")
	return 2
}
