package main

import (
	"fmt"
	"io"
)

func cmdList(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "golive list: not built yet")
	return 2
}
