// Command fakeapp stands in for the app in update tests: it prints the
// version it was built with; with "wait" it then runs until its input
// closes, as the app runs while it updates itself, and says its version
// again for each line it reads.
package main

import (
	"bufio"
	"fmt"
	"os"
)

var version = "0.0.0"

func main() {
	fmt.Println("neurodeskapp", version)
	if len(os.Args) > 1 && os.Args[1] == "wait" {
		for in := bufio.NewScanner(os.Stdin); in.Scan(); {
			fmt.Println("neurodeskapp", version)
		}
	}
}
