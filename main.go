// Command golive walks an operator through a Django production release.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "golive: not built yet")
	os.Exit(2)
}
